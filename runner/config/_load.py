"""Find and read the config file, and make it a ``Config``."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from flows import Document, FlowFileError, FlowSyntaxError, Problem, Severity, load_document, load_schema
from runner.config._build import build_config
from runner.config._credentials import CREDENTIAL_ENV, SECRET_KEYS
from runner.config._environment import substitute
from runner.config._errors import ConfigFileError, ConfigInvalidError
from runner.config._model import Config
from runner.config._validate import CONFIG_SCHEMA, scrubbed, validate

CONFIG_ENV = "CALLFLOW_CONFIG"
DEFAULT_CONFIG_FILE = "callflow.yaml"
# The same rule name as lint's, so a broken file reads the same in both.
YAML_SYNTAX = "yaml-syntax"


def find_config_file(path: Path | None, environ: Mapping[str, str]) -> Path | None:
    """The file to read: ``path``, else ``$CALLFLOW_CONFIG``, else ``./callflow.yaml``
    when it exists, else None (no file: the defaults)."""
    if path is not None:
        return path
    chosen = environ.get(CONFIG_ENV)
    if chosen:
        return Path(chosen)
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.exists() else None


def load_config(path: Path | None, environ: Mapping[str, str]) -> Config:
    """The effective config: the file (see ``find_config_file``) over the environment's
    credentials over the defaults.

    Raises ConfigFileError when a named file cannot be read, ConfigInvalidError with
    every problem when it is not a valid config.
    """
    file = find_config_file(path, environ)
    if file is None:
        return build_config({}, Path.cwd(), None, environ)
    document, problems = _read(file)
    data, substitution_problems = substitute(document, environ, load_schema(CONFIG_SCHEMA))
    known_secrets = [environ[CREDENTIAL_ENV[key]] for key in SECRET_KEYS if environ.get(CREDENTIAL_ENV[key])]
    # A variable read where a number belongs may hold a secret: its text is quoted only scrubbed.
    problems.extend(scrubbed(substitution_problems, data, known_secrets))
    # A value whose reference failed still holds '${...}': judging that text would only
    # add a second, misleading line about the same value.
    unfinished = {problem.mark for problem in substitution_problems}
    problems.extend(
        problem
        for problem in validate(dataclasses.replace(document, data=data), known_secrets)
        if problem.mark not in unfinished
    )
    if problems:
        raise ConfigInvalidError(document.file, sorted(problems, key=lambda problem: problem.sort_key))
    if not isinstance(data, dict):
        raise RuntimeError(f"config file {file}: validation let through {type(data).__name__}, not a mapping")
    source = file.absolute()
    return build_config(data, source.parent, source, environ)


def _read(file: Path) -> tuple[Document, list[Problem]]:
    name = str(file)
    try:
        document, problems = load_document(file, name)
    except FlowFileError as error:
        raise ConfigFileError(name, error.reason) from None
    except FlowSyntaxError as error:
        problem = Problem(name, error.mark, Severity.ERROR, YAML_SYNTAX, error.reason)
        raise ConfigInvalidError(name, [problem]) from None
    if document.data is None:
        # A file of comments only is a config that sets nothing, not a mistake.
        document = dataclasses.replace(document, data={})
    return document, problems
