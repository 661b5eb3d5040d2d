"""One parser per format; this module dispatches discovered targets to their parser.

Everything a parser raises for bad input becomes a `ScanError` (file, line, reason); the scan
goes on with the other targets. A document's format is decided by its content: a JSON file may
be a CloudFormation template, a CDK template, a Terraform plan, or unrelated. A template is read
with the child stacks it names on disk (`nested_templates`); a child the directory scan also
found on its own is then left to its parents (`without_read_children`).
"""

from __future__ import annotations

import os

from dataclasses import field
from typing import TYPE_CHECKING

from ..dataclass_methods import dataclass
from .. import inputs
from ..discover import Target, worth_reading
from ..findings import ScanError, Skipped
from ..options import Options
from .documents import ParseError

if TYPE_CHECKING:
    from ..model import Model

def limit_bytes(options: Options) -> int:
    return int(options.max_file_mb * 1024 * 1024)


def _new_model() -> Model:
    from ..model import Model  # not imported at start: a scan of unchanged code makes no model

    return Model()


@dataclass
class ParseOutcome:
    model: Model = field(default_factory=lambda: _new_model())
    errors: list[ScanError] = field(default_factory=list)
    files_scanned: int = 0
    children: list[str] = field(default_factory=list)  # child templates read through this one (absolute)
    # Files that declare SQS or KMS resources in a form sqsguard does not read (plain data, so
    # a cached outcome reports them as a fresh one does).
    skipped: list[Skipped] = field(default_factory=list)


def parse_job(job: tuple[str, list[Target]], options: Options) -> ParseOutcome:
    """A unit of parsing work: one document, one CDK assembly, or every Terraform directory
    (modules call each other, so they are read together)."""
    kind, targets = job
    try:
        if kind == "document":
            return _parse_document(targets[0], options)
        if kind == "cdk":
            return _parse_cdk(targets[0], options)
        if kind == "terraform":
            from .terraform import parse_terraform

            return parse_terraform(targets, options)
    except RecursionError:
        return ParseOutcome(errors=[ScanError(targets[0].display, None, "nested too deeply to read")])
    except Exception as exc:  # a bug of ours must not hide the other files' findings
        return ParseOutcome(
            errors=[ScanError(targets[0].display, None, "internal error while reading (%s: %s); please report it" % (type(exc).__name__, exc))]
        )
    raise ValueError("unknown target kind %r" % kind)


def parse_recorded(job: tuple[str, list[Target]], options: Options) -> tuple[ParseOutcome, list]:
    """The job's outcome and every read it made (for the result cache)."""
    with inputs.recording() as reads:
        outcome = parse_job(job, options)
    return outcome, reads


def jobs_for(targets: list[Target]) -> list[tuple[str, list[Target]]]:
    jobs = [(t.kind, [t]) for t in targets if t.kind != "terraform"]
    terraform = [t for t in targets if t.kind == "terraform"]
    if terraform:
        from .terraform import groups  # directories that call each other are read together

        jobs.extend(("terraform", group) for group in groups(terraform))
    return jobs


def _parse_document(target: Target, options: Options) -> ParseOutcome:
    limit = limit_bytes(options)
    try:
        data = inputs.read_bytes(target.path, limit)
    except OSError as exc:
        return ParseOutcome(errors=[ScanError(target.display, None, "cannot read: %s" % exc.strerror)])
    from ..discover import SERVICE_FILES

    service = os.path.basename(target.path) in SERVICE_FILES
    if service:
        from .serverless import worth_reading as service_worth_reading
    if not worth_reading(data) and not (service and service_worth_reading(data)):
        from .unsupported import worth_a_look

        if worth_a_look(data) and len(data) > limit:  # it may declare queues: never a silent pass
            return _too_large(target, options)
        if worth_a_look(data):  # Pulumi, Kubernetes controllers: never templates
            try:
                return _unsupported(target, data.decode("utf-8-sig"))
            except UnicodeDecodeError:
                pass
        return ParseOutcome()
    if len(data) > limit:  # it names SQS or KMS: never a silent pass
        return _too_large(target, options)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return ParseOutcome(errors=[ScanError(target.display, *inputs.not_utf8(data, exc))])
    is_json = text.lstrip().startswith(("{", "[")) and not text.lstrip().startswith(("{%", "{{"))
    if service:
        return _parse_serverless(target, text, is_json, options)
    try:
        if is_json:
            model = _parse_json_document(target, text, options)
        else:
            model = _parse_template_tree(target, text, options)
    except ParseError as exc:
        from .unsupported import templated

        if not _looks_relevant(text) or templated(text):  # not a broken template or plan: skipped if it declares queues or keys
            return _unsupported(target, text, exc)
        return ParseOutcome(errors=[ScanError(target.display, exc.line, exc.message)])
    if model is None:
        from .serverless import looks_like_service

        if not is_json and looks_like_service(text):  # a service file by another name
            return _parse_serverless(target, text, is_json, options)
        return _unsupported(target, text)
    if isinstance(model, ParseOutcome):
        return model
    return ParseOutcome(model=model, files_scanned=1)


def _too_large(target: Target, options: Options) -> ParseOutcome:
    return ParseOutcome(errors=[ScanError(target.display, None, "larger than the %g MB limit, not read (max_file_mb in the "
                                          "configuration raises it)" % options.max_file_mb)])


def _unsupported(target: Target, text: str, problem: ParseError | None = None) -> ParseOutcome:
    """A document no reader took: listed as skipped when it declares SQS or KMS resources, else
    of no concern to the scan."""
    from .unsupported import reason

    is_json = text.lstrip().startswith(("{", "["))
    why = reason(text, is_json, target.path, problem.message if problem else None, problem.line if problem else None)
    return ParseOutcome(skipped=[Skipped(target.display, why)] if why else [])


def _parse_serverless(target: Target, text: str, is_json: bool, options: Options) -> ParseOutcome:
    from .serverless import looks_relevant, parse_service

    try:
        model, problems = parse_service(text, is_json, target.path, target.display, options.parameters, limit_bytes(options))
    except ParseError as exc:
        if not looks_relevant(text):
            return ParseOutcome()  # a service without queues or keys we could not read does not concern us
        return ParseOutcome(errors=[ScanError(target.display, exc.line, exc.message)])
    if model is None:
        return ParseOutcome(errors=problems)
    return ParseOutcome(model=model, errors=problems, files_scanned=1)


def _parse_template_tree(target: Target, text: str, options: Options, data: object = None) -> ParseOutcome | None:
    """A template with the child stacks it declares (`nested_templates`); None when the
    document is not a template."""
    from .cloudformation import is_template
    from .documents import load_json, load_yaml
    from .nested_templates import read_tree

    doc = load_json(text, data) if data is not None else load_yaml(text)
    if not is_template(doc):
        return None
    tree = read_tree(doc, target.path, target.display, options.parameters, limit_bytes(options), text)
    return ParseOutcome(model=tree.model, errors=tree.errors, files_scanned=tree.files_read, children=sorted(tree.children))


def _parse_json_document(target: Target, text: str, options: Options) -> Model | ParseOutcome | None:
    from .documents import parse_json

    data = parse_json(text)
    if not isinstance(data, dict):
        return None
    from .tfplan import is_plan

    if is_plan(data):
        from .tfplan import parse_plan

        return parse_plan(data, text, target.display, options)
    from .cloudformation import is_template

    if not is_template(data):
        return None
    return _parse_template_tree(target, text, options, data)


def without_read_children(jobs: list[tuple[str, list[Target]]], outcomes: list[ParseOutcome]) -> list[ParseOutcome]:
    """A child template the scan found on its own is reported through its parent (with the
    values the parent passes), not again alone with unknown parameters: its own outcome is left
    out, unless no template outside a cycle reads it. A child named alone, without its parent,
    is read alone."""
    read_by: dict[str, set[int]] = {}
    for index, outcome in enumerate(outcomes):
        for child in outcome.children:
            read_by.setdefault(child, set()).add(index)
    if not read_by:
        return outcomes
    own = {targets[0].path: index for index, (kind, targets) in enumerate(jobs) if kind == "document"}
    # named or found, a child whose parent is in the scan too is read through the parent (a
    # pre-commit run names both when both changed)
    roots = {index for path, index in own.items() if path not in read_by}
    covered = {child for index in roots for child in outcomes[index].children}
    return [
        ParseOutcome() if index not in roots and kind == "document" and targets[0].path in covered else outcome
        for index, ((kind, targets), outcome) in enumerate(zip(jobs, outcomes))
    ]


def _looks_relevant(text: str) -> bool:
    if '"planned_values"' in text or '"resource_changes"' in text:
        return True
    return "Resources" in text and any(t in text for t in ("AWS::SQS::", "AWS::KMS::", "AWS::CloudFormation::Stack", "AWS::Serverless::Application"))


def _parse_cdk(target: Target, options: Options) -> ParseOutcome:
    from .cdk import parse_assembly

    model, problems, count = parse_assembly(target.path, options.parameters)
    errors = [ScanError(p.file, p.line, p.message) for p in problems]
    return ParseOutcome(model=model, errors=errors, files_scanned=count)
