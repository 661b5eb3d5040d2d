"""Discovery: what gets read, what is skipped, and what format a file is."""

import os
from pathlib import Path

from sqsguard.discover import discover, worth_reading

FIXTURES = Path(__file__).parent / "fixtures"

QUEUE = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n"


def kinds(targets):
    return sorted((t.kind, Path(t.path).name) for t in targets)


def test_skips_vcs_dependency_and_tool_folders(tmp_path):
    for folder in (".git", "node_modules", ".terraform", "src"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "t.yaml").write_text(QUEUE)
    targets, problems = discover([str(tmp_path)])
    assert problems == []
    assert [Path(t.path).parent.name for t in targets] == ["src"]


def test_missing_path_is_a_problem_not_a_crash(tmp_path):
    targets, problems = discover([str(tmp_path / "nope"), str(tmp_path)])
    assert [p.message for p in problems] == ["path does not exist"]


def test_a_named_link_loop_or_dangling_link_is_said_to_be_one(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    (tmp_path / "dangling.tf").symlink_to(tmp_path / "gone.tf")
    targets, problems = discover([str(tmp_path / "a"), str(tmp_path / "dangling.tf")])
    assert [p.message for p in problems] == ["a symbolic link whose target does not exist (or a loop of links)"] * 2
    assert targets == []


def test_cloud_assembly_is_one_target_and_its_templates_are_not_read_twice():
    assembly = FIXTURES / "cdk" / "nested" / "cdk.out"
    template = assembly / "ParentStack.template.json"
    targets, _ = discover([str(assembly.parent), str(template)])
    assert [t.kind for t in targets] == ["cdk"]
    alone, _ = discover([str(template)])
    assert [t.kind for t in alone] == ["document"]


def test_manifest_file_names_its_assembly():
    manifest = FIXTURES / "cdk" / "SQG101" / "bad" / "cdk.out" / "manifest.json"
    targets, _ = discover([str(manifest)])
    assert [(t.kind, t.path) for t in targets] == [("cdk", str(manifest.parent))]


def test_any_mix_of_files_and_directories(tmp_path):
    (tmp_path / "a.yaml").write_text(QUEUE)
    (tmp_path / "b.json").write_text("{}")
    (tmp_path / "main.tf").write_text('resource "aws_sqs_queue" "q" {}\n')
    (tmp_path / "notes.txt").write_text("AWS::SQS::Queue")
    targets, _ = discover([str(tmp_path / "a.yaml"), str(tmp_path)])
    assert kinds(targets) == [("document", "a.yaml"), ("document", "b.json"), ("terraform", tmp_path.name)]


def test_cheap_text_test():
    assert worth_reading(b"Type: AWS::SQS::Queue")
    assert worth_reading(b'"Type": "AWS::KMS::Key"')
    assert not worth_reading(b"jobs:\n  build:\n    runs-on: ubuntu-latest\n")


def test_display_paths_are_relative_to_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "q.yaml").write_text(QUEUE)
    monkeypatch.chdir(tmp_path)
    targets, _ = discover(["infra"])
    assert [t.display for t in targets] == ["infra/q.yaml"]
    assert os.path.isabs(targets[0].path)


# --- files named alone (what a pre-commit hook passes) ------------------------------------------

CHILD = 'variable "key" {\n  type = string\n}\n\nresource "aws_sqs_queue" "this" {\n  kms_master_key_id = var.key\n}\n'


def _modules(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "modules" / "queue").mkdir(parents=True)
    (tmp_path / "modules" / "queue" / "main.tf").write_text(CHILD)
    (tmp_path / "modules" / "queue" / "outputs.tf").write_text('output "arn" {\n  value = aws_sqs_queue.this.arn\n}\n')
    for env, key in (("prod", "alias/aws/sqs"), ("dev", "alias/aws/sqs")):
        (tmp_path / env).mkdir()
        (tmp_path / env / "main.tf").write_text(
            'module "q" {\n  source = "../modules/queue"\n  key    = "%s"\n}\n\nresource "aws_sqs_queue" "own" {\n}\n' % key
        )
    return tmp_path


def test_a_child_module_file_is_read_through_every_caller_and_only_its_findings_are_reported(tmp_path):
    from sqsguard.engine import scan
    from sqsguard.options import Options

    root = _modules(tmp_path)
    report = scan([str(root / "modules" / "queue" / "main.tf")], Options(), jobs=1)
    assert sorted((f.rule_id, f.resource, Path(f.file).name) for f in report.findings) == [
        ("SQG103", "module.q.aws_sqs_queue.this", "main.tf"),
        ("SQG103", "module.q.aws_sqs_queue.this", "main.tf"),
    ]
    assert sorted({Path(f.anchor).name for f in report.findings}) == ["dev", "prod"]  # one per root module
    # a file of the module with no finding in it reports nothing, but is still read in context
    assert scan([str(root / "modules" / "queue" / "outputs.tf")], Options(), jobs=1).findings == []


def test_a_module_nobody_calls_is_its_own_root(tmp_path):
    from sqsguard.engine import scan
    from sqsguard.options import Options

    (tmp_path / ".git").mkdir()
    (tmp_path / "main.tf").write_text(CHILD)
    report = scan([str(tmp_path / "main.tf")], Options(), jobs=1)
    assert [(f.rule_id, f.resource) for f in report.findings] == [("SQG104", "aws_sqs_queue.this")]


def test_a_tfvars_file_reports_its_root_module(tmp_path):
    from sqsguard.engine import scan
    from sqsguard.options import Options

    root = _modules(tmp_path)
    (root / "prod" / "terraform.tfvars").write_text("")
    report = scan([str(root / "prod" / "terraform.tfvars")], Options(), jobs=1)
    assert sorted((f.rule_id, f.resource) for f in report.findings) == [
        ("SQG102", "aws_sqs_queue.own"),
        ("SQG103", "module.q.aws_sqs_queue.this"),
    ]


def test_directories_report_everything_they_reach(tmp_path):
    from sqsguard.engine import scan
    from sqsguard.options import Options

    root = _modules(tmp_path)
    report = scan([str(root / "prod")], Options(), jobs=1)
    assert sorted((f.rule_id, f.resource) for f in report.findings) == [
        ("SQG102", "aws_sqs_queue.own"),
        ("SQG103", "module.q.aws_sqs_queue.this"),
    ]


def test_a_directory_that_cannot_be_listed_is_a_problem_not_a_silent_pass():
    import shutil
    import subprocess
    import sys
    import tempfile

    tmp_path = Path(tempfile.mkdtemp(prefix="sqsguard-unlisted-"))  # where another user can reach it

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "main.tf").write_text('resource "aws_sqs_queue" "a" {}\n')
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "main.tf").write_text('resource "aws_sqs_queue" "b" {}\n')
    os.chmod(tmp_path / "b", 0)
    os.chmod(tmp_path, 0o755)
    try:
        code = ("import json; from sqsguard.discover import discover; t, p = discover([%r]); "
                "print(json.dumps([[x.path for x in t], [(q.path, q.message) for q in p]]))" % str(tmp_path))
        command = [sys.executable, "-c", code]
        if os.geteuid() == 0:  # root lists any directory: run as nobody
            if not shutil.which("setpriv"):
                import pytest

                pytest.skip("running as root without setpriv: no user who cannot list the directory")
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + command
        import json

        done = subprocess.run(command, capture_output=True, text=True, cwd="/", timeout=60)
        assert done.returncode == 0, done.stderr
        targets, problems = json.loads(done.stdout)
    finally:
        os.chmod(tmp_path / "b", 0o755)
        shutil.rmtree(tmp_path, ignore_errors=True)
    assert targets == [str(tmp_path / "a")]
    assert [(p.endswith("/b"), m) for p, m in problems] == [(True, "cannot read the directory: Permission denied")]


def test_a_broken_terraform_symlink_is_a_problem(tmp_path):
    (tmp_path / "main.tf").write_text('resource "aws_sqs_queue" "a" {}\n')
    (tmp_path / "x.tf").symlink_to(tmp_path / "nowhere.tf")
    targets, problems = discover([str(tmp_path)])
    assert [t.kind for t in targets] == ["terraform"]  # the module is still read
    assert [(p.path.endswith("x.tf"), p.message.startswith("broken symbolic link")) for p in problems] == [(True, True)]


def test_a_terraform_symlink_to_itself_is_said_to_be_a_loop(tmp_path):
    (tmp_path / "main.tf").write_text('resource "aws_sqs_queue" "a" {}\n')
    (tmp_path / "x.tf").symlink_to("x.tf")
    (tmp_path / "y.tf").symlink_to("z.tf")
    (tmp_path / "z.tf").symlink_to("y.tf")
    _, problems = discover([str(tmp_path)])
    assert sorted((os.path.basename(p.path), p.message) for p in problems) == [
        ("x.tf", "symbolic link loop (to x.tf, which leads back to it)"),
        ("y.tf", "symbolic link loop (to z.tf, which leads back to it)"),
        ("z.tf", "symbolic link loop (to y.tf, which leads back to it)"),
    ]
