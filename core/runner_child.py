"""The runner's own process (started by core.runner_process.RunnerProcess):

    python -m core.runner_child COMMANDS_FD REPLIES_FD

It reads a RunnerRecipe, then commands (StartRun, CancelRun, Close). Each run
is served on this process's event loop (core.run_service.serve_plan) and its replies are sent
back as they come. A closed command pipe means the editor is gone: the child stops its runs,
closes its judge client and cache, and exits.
"""
from __future__ import annotations

import asyncio
import os
import sys
import threading
from multiprocessing.connection import Connection
from typing import Optional

from .run_service import Reply, serve_plan
from .runner_process import CancelRun, Command, RunnerRecipe, StartRun, build_runner


def _read_commands(commands: Connection, loop: asyncio.AbstractEventLoop,
                   inbox: "asyncio.Queue[Optional[Command]]") -> None:
    """A thread: the pipe's blocking reads, handed to the loop in order (None: the pipe closed)."""
    try:
        while True:
            loop.call_soon_threadsafe(inbox.put_nowait, commands.recv())
    except (EOFError, OSError):
        pass
    try:
        loop.call_soon_threadsafe(inbox.put_nowait, None)
    except RuntimeError:
        pass                    # the loop has closed already


async def serve(recipe: RunnerRecipe, commands: Connection, replies: Connection) -> None:
    loop = asyncio.get_running_loop()
    runner = build_runner(recipe)
    inbox: asyncio.Queue[Optional[Command]] = asyncio.Queue()
    threading.Thread(target=_read_commands, args=(commands, loop, inbox), name="commands",
                     daemon=True).start()
    # No judge warm-up here: its SDK import would hold this process's GIL while the model
    # loads (first completion 11.6-12.1 s instead of 6.4-7.8 s on 2 cores), and the first
    # judge call, at the first completion, imports the SDK in a thread (Judge.ask) anyway.
    tasks: dict[int, asyncio.Task] = {}

    def send(reply: Reply) -> None:
        try:
            replies.send(reply)
        except OSError:
            pass                # the editor is gone; the closed command pipe stops us next

    try:
        # None: the pipe closed (the editor is gone); Close: the editor asks
        while isinstance(command := await inbox.get(), (StartRun, CancelRun)):
            if isinstance(command, StartRun):
                plan = command.plan
                runner.rubric.change(plan.definition)   # the editor's rubric when it asked
                task = asyncio.create_task(serve_plan(runner, plan, send))
                tasks[plan.token] = task
                task.add_done_callback(lambda _t, token=plan.token: tasks.pop(token, None))
            elif (task := tasks.get(command.token)) is not None:
                task.cancel()
    finally:
        for task in list(tasks.values()):
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        if runner.judge is not None:
            await runner.judge.aclose()
        runner.cache.close()
        replies.close()


# The editor is interactive and this process is not: when the two want the same core, the
# editor's key should win it. At nice 10 the kernel's scheduler gives this process about a
# tenth of a contended core; a free core it still uses in full.
NICENESS = 10


def main(argv: list[str]) -> int:
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    commands = Connection(int(argv[1]), writable=False)
    replies = Connection(int(argv[2]), readable=False)
    try:
        recipe = commands.recv()
    except EOFError:
        return 0
    asyncio.run(serve(recipe, commands, replies))
    return 0


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stderr.flush()
    # The cache and the judge's client are closed: skip the interpreter's teardown of torch and
    # the SDK (~1 s of freeing modules), which the editor would otherwise wait for as it exits.
    os._exit(code)
