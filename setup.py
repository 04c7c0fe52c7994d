"""The package build compiles the message catalogs (``core/locale/*/*.po`` → ``bxhours.mo``)."""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogs(build_py):
    def run(self) -> None:
        super().run()
        from core.i18n import compile_catalogs

        for path in compile_catalogs(Path(self.build_lib) / "core" / "locale"):
            self.announce(f"compiled {path}", level=2)


setup(cmdclass={"build_py": BuildWithCatalogs})
