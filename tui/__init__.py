"""The editor: a Textual app drawing what core decides.

Textual draws frames on a fixed-rate tick, so a key's frame waits for the next tick: up to
1/TEXTUAL_FPS (16.7 ms at Textual's default of 60), a third of the 50 ms a key may take. At 120
the wait is at most 8.3 ms; frames are still drawn only when something changed. It must be set
before Textual is imported (textual.constants reads it then); a TEXTUAL_FPS of the user's wins.
"""
import os

os.environ.setdefault("TEXTUAL_FPS", "120")
