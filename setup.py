"""The package build compiles the message catalogs (``core/locale/*/*.po`` → ``bxhours.mo``)."""

from __future__ import annotations

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogs(build_py):
    def run(self) -> None:
        super().run()
        # The build runs setup.py from an isolated environment: the compiler is read from this
        # source tree (it needs only Babel, a build requirement).
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from core.i18n import compile_catalogs

        for path in compile_catalogs(Path(self.build_lib) / "core" / "locale"):
            self.announce(f"compiled {path}", level=2)


setup(cmdclass={"build_py": BuildWithCatalogs})
