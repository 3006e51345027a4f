"""Super-patch roles and positive assignment."""
import unittest

import numpy as np

import _paths  # noqa: F401
from rose_trainer.assign import assign_positives, role_grid, role_of, scale_class, segment_centre

GRID, PATCH = 16, 8
L = GRID * PATCH


def disc(cy, cx, r, size=L):
    ys, xs = np.mgrid[0:size, 0:size] + 0.5
    return (ys - cy) ** 2 + (xs - cx) ** 2 <= r * r


class RoleTest(unittest.TestCase):
    def test_each_3x3_super_patch_has_4_small_3_medium_1_large_1_stuff(self):
        roles = role_grid(3).ravel().tolist()
        self.assertEqual({r: roles.count(r) for r in set(roles)}, {"small": 4, "medium": 3, "large": 1, "stuff": 1})
        # Any 3x3 window, aligned or not, holds one cell of each (row mod 3, col mod 3) class.
        g = role_grid(GRID)
        for r0 in range(GRID - 2):
            for c0 in range(GRID - 2):
                w = g[r0:r0 + 3, c0:c0 + 3].ravel().tolist()
                self.assertEqual(w.count("small"), 4)
                self.assertEqual(w.count("large"), 1)

    def test_scale_classes_follow_thresholds(self):
        self.assertEqual(scale_class(disc(64, 64, 5), "thing", L), "small")
        self.assertEqual(scale_class(disc(64, 64, 15), "thing", L), "medium")
        self.assertEqual(scale_class(disc(64, 64, 40), "thing", L), "large")
        self.assertEqual(scale_class(disc(64, 64, 5), "stuff", L), "stuff")


class AssignmentTest(unittest.TestCase):
    def test_isolated_objects_get_their_role_patches_around_the_centre(self):
        masks = [disc(44, 44, 5), disc(84, 84, 15), disc(60, 20, 45)]
        asg = assign_positives(masks, ["thing"] * 3, GRID, PATCH)
        self.assertEqual(asg.roles, ["small", "medium", "large"])
        self.assertEqual([len(p) for p in asg.positives], [4, 3, 1])
        for pos, (cy, cx), role in zip(asg.positives, asg.centres, asg.roles):
            ch, cw = int(cy // PATCH), int(cx // PATCH)
            for p in pos:
                h, w = divmod(p, GRID)
                self.assertLessEqual(abs(h - ch), 1)
                self.assertLessEqual(abs(w - cw), 1)
                self.assertEqual(role_of(h, w), role)

    def test_window_is_shifted_inside_the_grid_at_borders(self):
        asg = assign_positives([disc(2, 2, 4)], ["thing"], GRID, PATCH)
        self.assertEqual(len(asg.positives[0]), 4)

    def test_neighbouring_small_objects_do_not_share_patches(self):
        masks = [disc(44, 40, 4), disc(44, 52, 4)]
        asg = assign_positives(masks, ["thing", "thing"], GRID, PATCH)
        a, b = set(asg.positives[0]), set(asg.positives[1])
        self.assertFalse(a & b)
        self.assertTrue(a and b)
        # Each shared patch goes to the object whose centre is nearer.
        for p in a:
            h, w = divmod(p, GRID)
            pc = np.array([(h + 0.5) * PATCH, (w + 0.5) * PATCH])
            self.assertLessEqual(np.linalg.norm(pc - asg.centres[0]), np.linalg.norm(pc - asg.centres[1]) + 1e-9)

    def test_stuff_centre_lies_inside_a_region_that_wraps_an_object(self):
        stuff = ~disc(64, 64, 40)
        cy, cx = segment_centre(stuff, "stuff")
        self.assertTrue(stuff[int(cy), int(cx)])
        asg = assign_positives([stuff], ["stuff"], GRID, PATCH)
        self.assertEqual(len(asg.positives[0]), 1)
        self.assertEqual(role_of(*divmod(asg.positives[0][0], GRID)), "stuff")


if __name__ == "__main__":
    unittest.main()
