"""Errors the Modal container sends back, and the sentence for a model that will not load.

They are plain RuntimeErrors defined in `core`, which both sides import, so the client can
unpickle them without torch, transformers or huggingface_hub installed (an exception from those
libraries would reach a Modal-only user as an undecodable "ExecutionError").
"""
from __future__ import annotations


class ModelLoadError(RuntimeError):
    """The container could not load the model (raised by every call to it); one sentence."""


class RemoteGenerationError(RuntimeError):
    """A generate call failed inside the container (e.g. CUDA out of memory on one batch)."""


def _classes(exc: BaseException) -> set[str]:
    """Names of every exception class along the cause chain: transformers wraps the hub's
    errors in a plain OSError (`raise OSError(...) from e`), so the real kind is the cause.
    Matched by name so that this stays importable without huggingface_hub or torch."""
    names: set[str] = set()
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        names.update(c.__name__ for c in type(cur).__mro__)
        cur = cur.__cause__ or cur.__context__
    return names


def _status(exc: BaseException) -> int | None:
    cur: BaseException | None = exc
    while cur is not None:
        code = getattr(getattr(cur, "response", None), "status_code", None)
        if isinstance(code, int):
            return code
        cur = cur.__cause__ or cur.__context__
    return None


def describe_load_failure(exc: BaseException, model: str, secret: str, has_token: bool,
                          deploy_hint: str) -> str:
    """One sentence naming the fix for a model that failed to load in the container."""
    kinds = _classes(exc)
    page = f"https://huggingface.co/{model}"
    recreate = (f"`modal secret create {secret} HF_TOKEN=hf_... --force` (a read token of an account "
                f"that accepted the licence at {page})")
    if not has_token and kinds & {"GatedRepoError", "RepositoryNotFoundError", "HfHubHTTPError"}:
        return (f"the Modal container has no HF_TOKEN, and {model!r} needs one: run {recreate}, "
                f"then `{deploy_hint}`")
    if "GatedRepoError" in kinds:
        return (f"the Hugging Face account behind HF_TOKEN has no access to the gated model {model!r}: "
                f"accept its licence at {page} (approval can take a while), then run again")
    if _status(exc) == 401:
        return f"Hugging Face rejected the HF_TOKEN in the Modal secret '{secret}': run {recreate}, then run again"
    if "RepositoryNotFoundError" in kinds:
        return (f"{model!r} is not a model on the Hugging Face hub (or HF_TOKEN cannot see it): "
                f"check --model, or run {recreate}")
    if "OutOfMemoryError" in kinds:
        return (f"{model!r} does not fit in the GPU's memory: choose a larger GPU with --modal-gpu "
                "(e.g. H100 or A100-80GB)")
    if kinds & {"LocalEntryNotFoundError", "OfflineModeIsEnabled", "ConnectError", "ConnectionError",
                "TimeoutException"}:
        return (f"the Modal container could not download {model!r} from the Hugging Face hub: "
                "check https://status.huggingface.co, then run again")
    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return (f"the Modal container could not load {model!r} ({type(exc).__name__}: {first}): "
            "read `modal app logs` for the traceback, fix it, then run again")
