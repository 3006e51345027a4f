// @vitest-environment happy-dom
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, test } from 'vitest'
import CategoryPrompt from '../../../src-renderer/src/components/CategoryPrompt.vue'
import { useSessionStore } from '../../../src-renderer/src/stores/session'
import { FakeApi } from '../fake-api'

function mountPrompt() {
  return mount(CategoryPrompt, {
    props: { title: 'Name this mask', initial: 'car', confirmLabel: 'Save', suggestion: null },
    attachTo: document.body
  })
}

beforeEach(() => {
  const pinia = createPinia()
  setActivePinia(pinia)
  useSessionStore().attach(new FakeApi())
})

describe('CategoryPrompt with the model\'s suggestion', () => {
  test('a suggestion that arrives before the user types fills the field', async () => {
    const wrapper = mountPrompt()
    const input = wrapper.get<HTMLInputElement>('[data-testid=category-input]')
    expect(input.element.value).toBe('car')
    await wrapper.setProps({ suggestion: 'red circle' })
    expect(input.element.value).toBe('red circle')
    expect(wrapper.get('[data-testid=category-suggestion]').text()).toBe('Model suggests “red circle”')
    await input.trigger('keydown', { key: 'Enter' })
    expect(wrapper.emitted('confirm')).toEqual([['red circle']])
    wrapper.unmount()
  })

  test('a suggestion that arrives after the user typed never overwrites their text, and is one click away', async () => {
    const wrapper = mountPrompt()
    const input = wrapper.get<HTMLInputElement>('[data-testid=category-input]')
    await input.setValue('bus')
    await wrapper.setProps({ suggestion: 'red circle' })
    expect(input.element.value).toBe('bus')
    await wrapper.get('[data-testid=category-suggestion]').trigger('mousedown')
    expect(input.element.value).toBe('red circle')
    wrapper.unmount()
  })
})
