import type { z } from 'zod'
import {
  channels,
  type Channel,
  type Envelope,
  type ParsedRequestOf,
  type ResponseOf
} from '../../src-preload/contract'
import { InvalidArgumentError, serializeError } from '../common/errors'

/** One function per channel: receives the validated request, returns the response. */
export type Handlers = {
  readonly [C in Channel]: (request: ParsedRequestOf<C>) => Promise<ResponseOf<C>> | ResponseOf<C>
}

/** Calls a channel with an untrusted request and always answers with an envelope, never a throw. */
export type Dispatcher = (channel: unknown, request: unknown) => Promise<Envelope<unknown>>

/**
 * Builds the single entry point both transports use: it checks that the channel exists, validates the
 * request against the contract (naming the offending parameter), runs the handler and turns any error
 * into data.
 */
export function createDispatcher(handlers: Handlers): Dispatcher {
  return async (channel, request) => {
    try {
      if (typeof channel !== 'string' || !Object.hasOwn(channels, channel)) {
        throw new InvalidArgumentError(`unknown channel ${JSON.stringify(channel)}`)
      }
      const name = channel as Channel
      const parsed = parseRequest(name, request)
      const handler = handlers[name] as (request: unknown) => Promise<unknown> | unknown
      return { ok: true, value: await handler(parsed) }
    } catch (error) {
      return { ok: false, error: serializeError(error) }
    }
  }
}

/** Validates a request for `channel`; throws InvalidArgumentError naming the channel and parameter. */
export function parseRequest<C extends Channel>(channel: C, request: unknown): ParsedRequestOf<C> {
  const schema = channels[channel].request as z.ZodType
  const result = schema.safeParse(request ?? {})
  if (!result.success) throw new InvalidArgumentError(`${channel}: ${formatIssues(result.error)}`)
  return result.data as ParsedRequestOf<C>
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.join('.') : 'request'
      return `${where}: ${issue.message}`
    })
    .join('; ')
}
