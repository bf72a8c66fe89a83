"""The ``sagesweep`` command group: every error becomes one line per problem and an exit
code, never a traceback. The commands live in the modules beside this one."""

from __future__ import annotations

import sys
from typing import Any

import click

from sagesweep.errors import InputError, SagesweepError, StorageError
from sagesweep.version import __version__

__all__ = ["main"]


class _Group(click.Group):
    """Turns our errors into one line per problem and an exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as exc:
            for line in exc.lines():
                click.echo(line, err=True)
            ctx.exit(exc.exit_code)
        except SagesweepError as exc:
            click.echo(f"sagesweep: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("sagesweep: interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # `sagesweep plan ... | head`: the reader left; that is not an error of ours.
            sys.stderr.close()
            ctx.exit(0)
        except OSError as exc:
            # A file that cannot be read or written (disk full, permissions): one line
            # naming it, and the exit code of every such failure.
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"sagesweep: {where}{exc.strerror or exc}", err=True)
            ctx.exit(StorageError.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sagesweep")
def main() -> None:
    """Launch thousands of SageMaker training jobs, exactly once."""
