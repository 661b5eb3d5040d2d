"""One parser per format; this module dispatches a discovered target to its parser.

Everything a parser raises for bad input becomes a `ScanError` (file, line, reason); the scan
goes on with the other targets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..discover import Target, worth_reading
from ..findings import ScanError
from ..model import Model
from ..options import Options
from .documents import ParseError

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


@dataclass
class ParseOutcome:
    model: Model = field(default_factory=Model)
    errors: list[ScanError] = field(default_factory=list)
    files_scanned: int = 0


def parse_target(target: Target, options: Options) -> ParseOutcome:
    try:
        if target.kind == "document":
            return _parse_document(target, options)
        if target.kind == "cdk":
            return _parse_cdk(target, options)
        if target.kind == "terraform":
            return ParseOutcome()  # Terraform arrives with issue 3
    except RecursionError:
        return ParseOutcome(errors=[ScanError(target.display, None, "nested too deeply to read")])
    return ParseOutcome()


def _parse_document(target: Target, options: Options) -> ParseOutcome:
    try:
        with open(target.path, "rb") as handle:
            data = handle.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        return ParseOutcome(errors=[ScanError(target.display, None, "cannot read: %s" % exc.strerror)])
    if len(data) > MAX_DOCUMENT_BYTES or not worth_reading(data):
        return ParseOutcome()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return ParseOutcome(errors=[ScanError(target.display, None, "not UTF-8 text (byte %d)" % exc.start)])
    from .cloudformation import parse_template_file

    try:
        model = parse_template_file(target.path, target.display, text, options.parameters)
    except ParseError as exc:
        if not _looks_like_template(text):
            return ParseOutcome()  # an unrelated file we could not read does not concern us
        return ParseOutcome(errors=[ScanError(target.display, exc.line, exc.message)])
    if model is None:
        return ParseOutcome()
    return ParseOutcome(model=model, files_scanned=1)


def _looks_like_template(text: str) -> bool:
    return "Resources" in text and ("AWS::SQS::" in text or "AWS::KMS::" in text)


def _parse_cdk(target: Target, options: Options) -> ParseOutcome:
    from .cdk import parse_assembly

    model, problems, count = parse_assembly(target.path, options.parameters)
    errors = [ScanError(p.file, p.line, p.message) for p in problems]
    return ParseOutcome(model=model, errors=errors, files_scanned=count)
