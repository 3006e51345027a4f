"""SIGTERM while a pack is being written: noted, the work finishes, the old handler comes back."""
import os
import signal
import unittest

import _paths  # noqa: F401
from rose_trainer.train import signals_deferred


class SignalsDeferredTest(unittest.TestCase):
    def test_sigterm_inside_is_noted_and_the_previous_handler_restored(self):
        seen = []
        previous = signal.signal(signal.SIGTERM, lambda signum, _frame: seen.append(signum))
        try:
            with signals_deferred() as flag:
                os.kill(os.getpid(), signal.SIGTERM)
                finished = True  # reached: the signal did not end the work
            self.assertTrue(finished)
            self.assertEqual(flag.signal, "SIGTERM")
            self.assertEqual(seen, [])
            os.kill(os.getpid(), signal.SIGTERM)
            self.assertEqual(seen, [signal.SIGTERM])
        finally:
            signal.signal(signal.SIGTERM, previous)

    def test_nothing_noted_without_a_signal(self):
        with signals_deferred() as flag:
            pass
        self.assertIsNone(flag.signal)


if __name__ == "__main__":
    unittest.main()
