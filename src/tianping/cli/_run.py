"""``tianping run``: responses only (no scoring)."""

from __future__ import annotations

from typing import Annotated

import typer

from ._common import DbOption, JsonOption, console, open_store, print_json
from ._engine_opts import (
    Address,
    ChunkCpus,
    ChunkSize,
    Concurrency,
    Executor,
    MaxAttempts,
    MaxTokens,
    Rps,
    Seed,
    ShowProgress,
    Temperature,
    Timeout,
    Tpm,
    Workers,
    engine_config,
    executor_spec,
    generation_params,
)


def run(
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help="Model spec, e.g. qwen:qwen-plus or mock:echo."),
    ] = None,
    suite: Annotated[
        str | None,
        typer.Option("--suite", "-s", help="Suite manifest (.yaml), item file (.jsonl) or name."),
    ] = None,
    resume: Annotated[
        str | None, typer.Option("--resume", help="Finish a stopped run (id or unique prefix).")
    ] = None,
    concurrency: Concurrency = 16,
    temperature: Temperature = 0.0,
    max_tokens: MaxTokens = 1024,
    seed: Seed = None,
    timeout: Timeout = 120.0,
    rps: Rps = None,
    tpm: Tpm = None,
    max_attempts: MaxAttempts = 8,
    executor: Executor = "local",
    address: Address = None,
    workers: Workers = None,
    chunk_size: ChunkSize = 200,
    chunk_cpus: ChunkCpus = 1.0,
    progress: ShowProgress = None,
    json_out: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Send every item of a suite to a model and store each response as it arrives."""
    from ..core import ConfigError
    from ..engine import execute_runs, prepare_resume, prepare_run

    config = engine_config(concurrency, timeout, rps, tpm, max_attempts)
    spec = executor_spec(executor, address, workers, chunk_size, chunk_cpus)
    if resume is None and (model is None or suite is None):
        raise ConfigError("Give --model and --suite, or --resume RUN_ID.")
    if resume is not None and (model is not None or suite is not None):
        raise ConfigError("--resume takes the model and suite from the run; drop --model/--suite.")
    with open_store(db) as store:
        if resume is not None:
            prepared = prepare_resume(resume, store=store, config=config)
        else:
            assert model is not None
            assert suite is not None
            params = generation_params(temperature, max_tokens, seed)
            prepared = prepare_run(model, suite, store=store, params=params, config=config)
        [result] = execute_runs(store, [prepared], spec, show_progress=progress)
    if json_out:
        print_json(result.to_json())
    else:
        out = console()
        colour = {"completed": "green", "incomplete": "yellow"}.get(result.status, "red")
        out.print(
            f"[{colour}]{result.status}[/] run [bold]{result.run_id}[/]: "
            f"{result.completed}/{result.items} done, {result.failed} failed, "
            f"{result.requests_sent} requests, {result.cache_hits} from cache, "
            f"{result.retries} retries, {result.wall_s:.2f} s"
        )
        if result.error:
            out.print(f"[red]{result.error}[/]")
        if result.status != "completed":
            out.print(f"Resume with: tianping run --resume {result.run_id}")
    if result.status == "interrupted":
        raise typer.Exit(130)
    if result.status == "failed":  # the endpoint stopped the run (bad key, quota)
        raise typer.Exit(4)
    if result.status != "completed":
        raise typer.Exit(1)
