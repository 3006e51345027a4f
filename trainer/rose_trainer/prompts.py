"""Prompt templates of the paper (sec. 3.3, 3.4, 6.3) and the answers the trainer supervises.

Every template here is written into the pack's manifest (`prompts`), which is what the engine reads;
the first phrasing of each list is the one the engine uses by default.
"""
from __future__ import annotations

import collections
from typing import Dict, List, Sequence

# Chat wrapper of llava-style models; `{user}` holds one of the user turns below.
CHAT = "USER: {user} ASSISTANT:"

DENSE = [
    "<image> Can you segment this image? Please respond with category names and corresponding segment masks.",
    "<image> Please segment everything in this image, things and stuff, with their category names.",
    "<image> Segment this image densely and name every region.",
]
INSTANCE = [
    "<image> Please segment all the foreground instances in this image.",
    "<image> Can you segment the foreground instance?",
    "<image> Segment every object in this image and tell me what they are.",
]
REFERRING = [
    "<image> What is {description} in this image? Please output the segmentation mask.",
    "<image> Please segment {description} in this image.",
    "<image> Can you find {description} and output its mask?",
]
# Situation 1 of sec. 3.4: category right, mask imperfect. The image carries the mask in channel 4.
REFINE_MASK = [
    "<image> This segmentation mask is incomplete, please ensure the entire object is captured.",
    "<image> The mask does not cover the whole object, please fix it.",
    "<image> Please refine this segmentation mask so that it covers exactly the object.",
    "<image> This mask misses parts of the object or spills over, please correct it.",
    "<image> The segmentation of the object in {box} is inaccurate, please refine it.",
    "<image> Please make the mask of the object in {box} complete.",
    "<image> The outline of this mask is wrong, please segment the object precisely.",
    "<image> This segmentation mask has holes and extra regions, please clean it up.",
    "<image> Please correct the mask of the object around {box}.",
    "<image> The mask is too small or too large, please adjust it to the object.",
]
# Situation 2: category wrong (named in the text), mask imperfect (channel 4).
REFINE_CATEGORY = [
    "<image> The category of this segmentation result is wrongly predicted as {category}, please correctify this.",
    "<image> This is not {category}, please give the right category and mask.",
    "<image> The object labelled {category} is misclassified, please correct the category.",
    "<image> {category} is the wrong name for this object, what is it?",
    "<image> Please fix the category of the object in {box}, it is not {category}.",
    "<image> The label {category} is incorrect, please recognise this object again.",
    "<image> This mask was named {category} by mistake, please correct the name and the mask.",
    "<image> Please correct the wrong category {category} of the object in {box}.",
    "<image> The prediction {category} is wrong, please identify the object.",
    "<image> Please re-classify this object, it was wrongly called {category}.",
]
# Situation 3: missed object; channel 4 is all zeros, so the box in the text is the only pointer.
REFINE_MISSED = [
    "<image> Please segment target region with mask and corresponding category. The target is in {box}.",
    "<image> An object in {box} was missed, please segment it and name it.",
    "<image> There is an object in {box}, please segment it.",
    "<image> Please find the missed object in {box} and output its mask and category.",
    "<image> Segment the object located in {box}.",
    "<image> Something in {box} is not segmented yet, please add it.",
    "<image> Please output the mask and category of the object in {box}.",
    "<image> The object in {box} has no mask, please segment it.",
    "<image> Please detect and segment the object inside {box}.",
    "<image> What is the object in {box}? Please output the segmentation mask.",
]
# Category decoding (sec. 3.3): `<category>` is replaced by one category embedding.
CATEGORY_USER = "<category> Please decode this linguistic embedding into a noun concept."
CATEGORY_ASSISTANT_PREFIX = "Sure, it is"

COUNT_ANSWER = "There are {counts} in this image."
NAMED_ANSWER = "Sure, it is {name}."

TASKS: Dict[str, List[str]] = {
    "dense": DENSE,
    "instance": INSTANCE,
    "referring": REFERRING,
    "refine_mask": REFINE_MASK,
    "refine_category": REFINE_CATEGORY,
    "refine_missed": REFINE_MISSED,
}


def chat(user: str) -> str:
    """Wrap a user turn in the chat template; the assistant's answer follows after one space."""
    return CHAT.format(user=user)


def category_prompt() -> str:
    """The full category-decoding prompt up to where the name is generated."""
    return chat(CATEGORY_USER) + " " + CATEGORY_ASSISTANT_PREFIX


def count_answer(names: Sequence[str]) -> str:
    """The counting answer of sec. 3.5, e.g. "There are 2 red circle, 1 sky in this image."

    Names keep the paper's uninflected form; order is by count (descending) then name, so that the
    target text is a function of the scene only.
    """
    counts = collections.Counter(names)
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if not items:
        return "There are no objects in this image."
    return COUNT_ANSWER.format(counts=", ".join(f"{n} {name}" for name, n in items))


def named_answer(name: str) -> str:
    """Answer of referring and refinement turns."""
    return NAMED_ANSWER.format(name=name)


def manifest_prompts() -> dict:
    """The `prompts` object of manifest.json."""
    return {
        "chat": CHAT,
        "answer_separator": " ",
        "dense": DENSE,
        "instance": INSTANCE,
        "referring": REFERRING,
        "refine_mask": REFINE_MASK,
        "refine_category": REFINE_CATEGORY,
        "refine_missed": REFINE_MISSED,
        "category": {"user": CATEGORY_USER, "assistant_prefix": CATEGORY_ASSISTANT_PREFIX},
        "count_answer": COUNT_ANSWER,
        "named_answer": NAMED_ANSWER,
        "box_format": "[x1, y1, x2, y2] as integer percent (0-100) of the original image width/height",
    }
