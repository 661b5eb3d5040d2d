"""The HCL layer: skipping blocks that cannot matter never changes what is read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sqsguard.parsers.terraform.hcl import HclError, parse_text, top_level_blocks
from sqsguard.parsers.terraform.resources import KEEP

HERE = Path(__file__).parent
CORPUS = HERE.parent.parent / "shared" / "corpus"


def _tf_files() -> list[Path]:
    files = sorted((HERE / "fixtures").rglob("*.tf")) + sorted(Path(HERE.parent / "examples").rglob("*.tf"))
    if CORPUS.is_dir():
        files += sorted(CORPUS.rglob("*.tf"))
    return files


_LITERAL = re.compile(r'-?[0-9]+(\.[0-9]+)?|true|false|null|"[^"\\$%\n]*"')


def _shape(parsed) -> list:
    def block(b):
        return (
            b.type,
            tuple(b.labels),
            b.line,
            b.end_line,
            tuple((n, a.line, a.end_line, a.text) for n, a in b.attributes.items()),
            tuple(block(c) for c in b.blocks),
        )

    return [block(b) for b in parsed.blocks if KEEP(b.type, b.labels)]


def _without_unread_literals(skipped: list, full: list) -> list:
    """`full`'s blocks without the attributes `skipped` lacks, after checking that each is what
    `prepare` may leave out: a one-line literal, not read, of a top-level block of a type read
    by name."""
    out = []
    for mine, theirs in zip(skipped, full):
        kind, labels, line, end, attributes, blocks = theirs
        kept = {a[0] for a in mine[4]}
        for name, first, last, text in attributes:
            if name not in kept:
                read = KEEP.names_read(kind, list(labels))
                assert read is not None and name not in read and first == last and _LITERAL.fullmatch(text.strip()), name
        out.append((kind, labels, line, end, tuple(a for a in attributes if a[0] in kept), blocks))
    return out + full[len(skipped):]


@pytest.mark.parametrize("path", _tf_files(), ids=lambda p: p.name if CORPUS not in p.parents else str(p.relative_to(CORPUS)))
def test_skipping_blocks_reads_the_same_blocks_at_the_same_lines(path):
    text = path.read_text(encoding="utf-8")
    full = parse_text(text, str(path), path.name, keep=None)
    skipped = parse_text(text, str(path), path.name, keep=KEEP)
    assert _shape(skipped) == _without_unread_literals(_shape(skipped), _shape(full))
    assert skipped.declared == full.declared


def test_the_scanner_handles_strings_heredocs_and_comments():
    text = '''# a "comment" with { braces
resource "aws_instance" "i" {
  user_data = <<-EOT
    }}} not code {{{
  EOT
  tags = { Name = "a } b ${lookup({ x = "}" }, "x")}" }
  /* } */
  // }
}
locals {
  x = "${"{"}"
}
'''
    blocks = top_level_blocks(text)
    assert [(t, labels) for t, labels, _, _ in blocks] == [("resource", ["aws_instance", "i"]), ("locals", [])]
    parsed = parse_text(text, "x.tf", "x.tf", keep=KEEP)
    assert [b.type for b in parsed.blocks] == ["locals"]
    assert parsed.blocks[0].line == 10
    assert parsed.declared == {("managed", "aws_instance", "i"): 2}


def test_literal_attributes_nobody_reads_are_left_out_and_nothing_else():
    text = '''resource "aws_sqs_queue" "q" {
  name                       = "orders"
  visibility_timeout_seconds = 30
  delay_seconds              = null
  message_retention_seconds  = var.retention
  receive_wait_time_seconds  = 20 # a comment: the line stays
  redrive_allow_policy = jsonencode({
    redrivePermission = "denyAll"
  })
  policy = <<-EOF
    max_message_size = 1024
  EOF
  /*
  content_based_deduplication = true
  */
  tags = { team = "payments" }
  fifo_queue = false
}

resource "aws_instance" "i" {
  ami = "x"
}

resource "aws_lambda_function" "f" {
  role    = "arn:aws:iam::111122223333:role/r"
  runtime = "python3.12"
  handler = "index.handler"
  timeout = 30
}
'''
    parsed = parse_text(text + '''
variable "retention" {
  description = "How long messages stay"
  type        = number
  default     = 345600
}

output "queue" {
  description = "The queue"
  value       = "orders"
}
''', "x.tf", "x.tf", keep=KEEP)
    queue, function, variable, output = parsed.blocks
    assert sorted(variable.attributes) == ["default", "type"] and sorted(output.attributes) == ["value"]
    assert (variable.line, output.end_line) == (31, 40)
    assert sorted(queue.attributes) == ["fifo_queue", "message_retention_seconds", "name", "policy",
                                         "receive_wait_time_seconds", "redrive_allow_policy", "tags"]
    assert (queue.line, queue.end_line, queue.attributes["fifo_queue"].line) == (1, 18, 17)
    assert queue.attributes["policy"].text.count("max_message_size = 1024") == 1
    assert sorted(function.attributes) == ["role"] and (function.line, function.end_line) == (24, 29)


def test_the_scanner_gives_up_on_what_it_does_not_understand():
    assert top_level_blocks('resource "a" "b" {\n  x = "unterminated\n}\n') is None
    assert top_level_blocks("}\n") is None


def test_crlf_files_keep_their_lines():
    text = 'resource "aws_instance" "i" {\r\n  ami = "x"\r\n}\r\n\r\nresource "aws_sqs_queue" "q" {\r\n  name = "q"\r\n}\r\n'
    parsed = parse_text(text, "x.tf", "x.tf", keep=KEEP)
    (queue,) = parsed.blocks
    assert (queue.line, queue.attributes["name"].line) == (5, 6)


@pytest.mark.parametrize(
    "text, line, message",
    [
        ('resource "aws_sqs_queue" "q" {\n  name = "x"\n', 2, "invalid HCL: unexpected end of file; expected '}'"),
        ('a = 1\nb = = 2\n', 2, "invalid HCL at column 5: unexpected '='; expected a value (a string, number, list, map or expression)"),
        ('a = 1\nb = "x\n', 2, "invalid HCL: unexpected end of file; expected '\"'"),
        ("a = 1\nb = 2 ^ 3\n", 2, "invalid HCL at column 7: unexpected '^'"),
        ('resource "aws_sqs_queue" "q" {\n  x = [1 2]\n}\n', 2, "invalid HCL at column 10: unexpected '2'; expected ',' or ']' or a new line"),
    ],
)
def test_syntax_errors_name_the_line(text, line, message):
    with pytest.raises(HclError) as caught:
        parse_text(text, "x.tf", "x.tf")
    assert caught.value.line == line
    assert caught.value.message == message
    assert not any(name.isupper() and "_" in name for name in caught.value.message.split())  # no lark token names


def test_a_heredoc_marker_with_trailing_blanks_is_read():
    # Terraform accepts `POLICY  ` as the closing line; python-hcl2's grammar does not.
    text = 'resource "aws_kms_key" "k" {\n  policy = <<POLICY\n{"Statement": []}\nPOLICY  \n  enable_key_rotation = true\n}\n'
    for keep in (KEEP, None):
        (block,) = parse_text(text, "x.tf", "x.tf", keep=keep).blocks
        assert block.attributes["enable_key_rotation"].line == 5


SAMPLE = (HERE / "fixtures" / "terraform" / "SQG103" / "bad" / "main.tf").read_text()


def test_damaged_files_are_errors_or_models_never_crashes(tmp_path):
    """Cut, duplicate and garble pieces of a real module: the scan always ends with a model
    and/or errors naming the file."""
    import random

    from sqsguard.engine import scan
    from sqsguard.options import Options

    rng = random.Random(7)
    for case in range(60):
        text = SAMPLE
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(text))
            j = min(len(text), i + rng.randint(0, 40))
            action = rng.randrange(4)
            if action == 0:
                text = text[:i] + text[j:]
            elif action == 1:
                text = text[:i] + text[i:j] + text[i:]
            elif action == 2:
                text = text[:i] + rng.choice(['"', "{", "}", "${", "<<EOF\n", "[", "(", "?", "%{"]) + text[i:]
            else:
                text = text[:i] + text[j:i:-1] + text[j:]
        directory = tmp_path / ("case%d" % case)
        directory.mkdir()
        (directory / "main.tf").write_text(text)
        report = scan([str(directory)], Options(), jobs=1)
        assert all(e.file.endswith("main.tf") for e in report.errors)
        assert all(e.message.startswith("invalid HCL") for e in report.errors), report.errors
