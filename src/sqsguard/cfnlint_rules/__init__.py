"""sqsguard's rules as cfn-lint custom rules.

    cfn-lint --append-rules "$(sqsguard cfn-lint-rules-path)" template.yaml

The folder is written for cfn-lint's directory loader, which imports every file named
`[A-Za-z1-9]*.py` in it by path, as a fresh top-level module, each time the folder is appended,
and instantiates every CloudFormationLintRule subclass it finds in that module's namespace:

- `rules.py` is the only file that loader imports. It holds nothing but the rule classes
  (so the same module also works by name: `--append-rules sqsguard.cfnlint_rules.rules`).
- `_rules.py` (the classes, generated from the catalog) and `_scan.py` (the one sqsguard scan
  per template that all of them share) start with an underscore, so the loader never imports
  them by path: they are imported normally, once per process, and keep the classes and the
  scan cache in `sys.modules` however often the folder is loaded.
- This file imports nothing, so finding the folder (`sqsguard cfn-lint-rules-path`) or
  importing the package costs nothing and never imports cfn-lint.
"""
