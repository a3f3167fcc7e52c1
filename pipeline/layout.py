"""Where every stage reads and writes, relative to the project root (see README "Outputs")."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.protocol import Protocol, load


@dataclass(frozen=True)
class Layout:
    """File locations of one project checkout; stages talk to each other only through these."""

    root: Path
    outputs: Path

    @classmethod
    def at(cls, root: Path | str = ".", outputs: Path | str | None = None) -> Layout:
        root = Path(root).resolve()
        return cls(root=root, outputs=Path(outputs).resolve() if outputs else root / "outputs")

    def relative(self, path: Path | str) -> str:
        """`path` relative to the project root in / form (the same on every checkout), else as is."""
        try:
            return Path(path).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    # search: outputs/search/<source>/<UTC timestamp>/ (raw gzip responses + search_log.json)
    @property
    def search(self) -> Path:
        return self.outputs / "search"

    # import: the records table of every source
    @property
    def records(self) -> Path:
        return self.outputs / "records" / "records.parquet"

    @property
    def records_sources(self) -> Path:
        return self.outputs / "records" / "sources.json"

    # dedup
    @property
    def dedup(self) -> Path:
        return self.outputs / "dedup"

    @property
    def clusters(self) -> Path:
        return self.dedup / "clusters.parquet"

    @property
    def studies(self) -> Path:
        return self.dedup / "studies.parquet"

    @property
    def pairs_to_review(self) -> Path:
        return self.dedup / "pairs_to_review.csv"

    @property
    def dedup_decisions(self) -> Path:
        return self.dedup / "decisions.csv"

    @property
    def dedup_summary(self) -> Path:
        return self.dedup / "summary.json"

    # screen
    @property
    def screening(self) -> Path:
        return self.outputs / "screening"

    def sheet(self, stage: str, reviewer: str) -> Path:
        return self.screening / stage / f"{reviewer}.csv"

    # report
    @property
    def report(self) -> Path:
        return self.outputs / "report"


def from_args(args: object) -> tuple[Layout, Protocol]:
    """The layout and protocol named by the CLI's common options (--root, --protocol, --outputs)."""
    layout = Layout.at(getattr(args, "root", "."), getattr(args, "outputs", None))
    protocol_path = getattr(args, "protocol", None) or layout.root / "queries" / "review.toml"
    return layout, load(protocol_path, root=layout.root)
