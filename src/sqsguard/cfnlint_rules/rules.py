"""The module cfn-lint loads: `cfn-lint --append-rules "$(sqsguard cfn-lint-rules-path)"` imports
this file by path, `--append-rules sqsguard.cfnlint_rules.rules` by name. Its namespace holds the
rule classes and nothing else that cfn-lint could take for a rule; they are made once per
process in `sqsguard.cfnlint_rules._rules`.

When sqsguard cannot be imported in cfn-lint's Python, cfn-lint still runs: one rule, E9000,
reports on every template that the sqsguard rules did not check it, and why.
"""

try:
    from sqsguard.cfnlint_rules._rules import rule_classes as _rule_classes
except ImportError as _error:
    from cfnlint.rules import CloudFormationLintRule as _LintRule
    from cfnlint.rules import RuleMatch as _RuleMatch

    _REASON = (
        "the sqsguard rules did not check this template: sqsguard cannot be imported in the Python "
        "that runs cfn-lint (%s); install sqsguard into that environment" % _error
    )

    class SqsguardUnavailable(_LintRule):
        id = "E9000"
        shortdesc = "sqsguard could not check the template"
        description = "sqsguard is not importable where cfn-lint runs, so none of its rules ran."
        source_url = "https://github.com/sqsguard/sqsguard#cfn-lint"
        tags = ["sqsguard", "scan"]

        def match(self, cfn):
            return [_RuleMatch([], _REASON, location=(0, 0, 0, 0))]

    del _LintRule
else:
    globals().update(_rule_classes())
