"""CDK assemblies: nested stacks, construct paths from either source, environments."""

from fixture_scan import FIXTURES, scan_fixture

CDK = FIXTURES / "cdk"


def rows(path, prefix="SQG1"):
    report = scan_fixture(path)
    assert report.errors == []
    return [(f.rule_id, f.resource, f.file, f.line, f.construct_path, f.format) for f in report.findings if f.rule_id.startswith(prefix)]


def test_nested_stack_resources_are_read_with_their_construct_paths():
    assert rows(CDK / "nested" / "cdk.out") == [
        ("SQG102", "ScratchQueue6D3A44B6", "cdk.out/ParentStackWorkers59BCE5BF.nested.template.json", 3,
         "ParentStack/Workers/ScratchQueue", "cdk"),
        ("SQG103", "ReportsQueue3E7B859E", "cdk.out/ParentStackWorkers59BCE5BF.nested.template.json", 11,
         "ParentStack/Workers/ReportsQueue", "cdk"),
    ]


def test_nested_template_scanned_alone_is_cloudformation_without_construct_paths():
    template = CDK / "nested" / "cdk.out" / "ParentStackWorkers59BCE5BF.nested.template.json"
    assert [(r[0], r[1], r[4], r[5]) for r in rows(template)] == [
        ("SQG102", "ScratchQueue6D3A44B6", None, "cloudformation"),
        ("SQG103", "ReportsQueue3E7B859E", None, "cloudformation"),
    ]


def test_construct_path_from_cdk_path_metadata_when_scanned_alone():
    template = CDK / "SQG103" / "bad" / "cdk.out" / "PaymentsStack.template.json"
    assert [(r[0], r[4], r[5]) for r in rows(template)] == [("SQG103", "PaymentsStack/PaymentsQueue", "cloudformation")]


def test_stack_environment_gives_the_own_account():
    from sqsguard.discover import discover
    from sqsguard.model import Model
    from sqsguard.options import Options
    from sqsguard.parsers import jobs_for, parse_job

    model = Model()
    for assembly in ("SQG101/good", "env_agnostic"):
        targets, _ = discover([str(CDK / assembly / "cdk.out")])
        for job in jobs_for(targets):
            model.extend(parse_job(job, Options()).model)
    assert list(model.unit_accounts.values()) == ["111111111111"]


def test_env_agnostic_stack():
    assert rows(CDK / "env_agnostic" / "cdk.out") == [
        ("SQG102", "PlainQueueF142D8B5", "cdk.out/AgnosticStack.template.json", 3, "AgnosticStack/PlainQueue", "cdk")
    ]


def test_stage_stacks_are_read_through_the_nested_assembly():
    assert rows(CDK / "stage" / "cdk.out") == [
        ("SQG103", "StagedQueueC6C068FC", "cdk.out/assembly-Prod/ProdOrders525171E2.template.json", 6,
         "Prod/Orders/StagedQueue", "cdk")
    ]
