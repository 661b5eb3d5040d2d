"""SQG201–SQG207: is each customer-managed key's policy least-privilege?

The analysis is in `policy_analysis.py`; these functions only read its facts and word the verdicts.
Findings attach to the key, or to the key policy resource when the policy is written apart from it,
and point at the offending statement.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Iterator

from ..model import Key, Location, Model, Resource
from ..options import Options
from ..policy_analysis import (
    Analysis,
    Context,
    Grant,
    administration,
    crypto,
    principal_id,
    summarize,
)
from .base import Hit, rule


def context_for(key: Key, model: Model, options: Options) -> Context:
    from ..link import key_context

    return key_context(key, model, options)


def policy_owner(key: Key) -> Resource:
    return key.policy_attachment or key


def analyses(key: Key, model: Model, options: Options) -> list[Analysis]:
    """The key's policy as link.py analysed it (once, for the accounts of this run)."""
    from ..link import analyse_key

    return analyse_key(key, model, options)


def _where(key: Key, grant: Grant | None = None) -> Location | None:
    if grant is not None and grant.statement.location is not None:
        return grant.statement.location
    return key.policy.location if key.policy is not None else None


def _when(analysis: Analysis) -> str:
    return " when %s" % analysis.when if analysis.when else ""


def _name(key: Key) -> str:
    owner = policy_owner(key)
    if owner is key:
        return "Key %s" % key.address
    return "Key %s (policy in %s)" % (key.address, owner.address)


def _first(
    model: Model, options: Options, find: Callable[[Key, Analysis], tuple[Grant | None, str] | None]
) -> Iterator[Hit]:
    """For each key, the first analysis (policy variant) in which `find` reports a problem."""
    for key in model.keys:
        for analysis in analyses(key, model, options):
            if analysis.unresolved is not None or analysis.parse_problem is not None:
                continue
            found = find(key, _judgeable(analysis))
            if found is not None:
                grant, message = found
                yield Hit(policy_owner(key), message + _when(analysis) + ".", _where(key, grant))
                break


def _judgeable(analysis: Analysis) -> Analysis:
    """The analysis without the grants of statements whose conditions cannot be read statically
    (such a condition may pin the grant): SQG208 says so once, and no rule judges them. An
    unknown principal is already nobody's (kind "unknown"), and an unknown action grants nothing."""
    if not any(s.opaque_conditions for s in analysis.statements):
        return analysis
    return replace(analysis, grants=[g for g in analysis.grants if not g.statement.opaque_conditions])


@rule("SQG201")
def key_policy_public(model: Model, options: Options) -> Iterator[Hit]:
    def find(key: Key, analysis: Analysis):
        for grant in analysis.grants:
            if grant.principal.kind == "wildcard" and not grant.scope.constrains:
                return grant, (
                    "%s: %s allows %s to %s with no condition pinning the caller's account, "
                    "organisation or ARN, so any AWS account can use it — name the principals or add "
                    "a kms:CallerAccount or aws:PrincipalOrgID condition"
                    % (
                        _name(key),
                        grant.statement.label,
                        summarize(grant.actions),
                        "everyone (NotPrincipal)" if grant.statement.not_principal else 'everyone ("*")',
                    )
                )
        return None

    yield from _first(model, options, find)


def _foreign_accounts(grant: Grant, context: Context) -> list[str]:
    principal, scope = grant.principal, grant.scope
    if principal.kind == "wildcard":
        if scope.accounts:
            return sorted(a for a in scope.accounts if context.is_foreign(a))
        return []
    if principal.kind in ("root", "iam") and context.is_foreign(principal.account):
        narrowed = (scope.via_service and bool(scope.accounts)) or scope.source or scope.org or scope.principal_arn
        return [] if narrowed else [principal.account or "?"]
    return []


@rule("SQG202")
def key_policy_cross_account(model: Model, options: Options) -> Iterator[Hit]:
    def find(key: Key, analysis: Analysis):
        context = context_for(key, model, options)
        for grant in analysis.grants:
            foreign = _foreign_accounts(grant, context)
            if foreign:
                root = (
                    " (the one finding for this root: a root delegates to that account's IAM, so SQG203 "
                    "and SQG207 do not repeat it)" if grant.principal.kind == "root" else ""
                )
                return grant, (
                    "%s: %s allows %s to %s in account %s, which is not this key's account or a trusted "
                    "account, and no condition (kms:ViaService with kms:CallerAccount, aws:SourceArn) "
                    "narrows it%s — add such a condition, or list the account in trusted_accounts (or "
                    "own_accounts if it is this key's account)"
                    % (_name(key), grant.statement.label, summarize(grant.actions), grant.principal.text, ", ".join(foreign), root)
                )
        return None

    yield from _first(model, options, find)


@rule("SQG203")
def key_policy_admin_and_use(model: Model, options: Options) -> Iterator[Hit]:
    def find(key: Key, analysis: Analysis):
        admin: dict[str, set[str]] = {}
        use: dict[str, set[str]] = {}
        first: dict[str, Grant] = {}
        for grant in analysis.grants:
            if grant.principal.kind in ("root", "unknown"):
                continue  # a root is delegation to that account's IAM (SQG202 judges foreign ones); an unknown principal is SQG208's
            pid = principal_id(grant.principal)
            first.setdefault(pid, grant)
            admin.setdefault(pid, set()).update(administration(grant))
            use.setdefault(pid, set()).update(crypto(grant))
        for pid, grant in first.items():
            if admin[pid] and use[pid]:
                return grant, (
                    "%s: %s gives %s both administration (%s) and cryptographic use (%s): no separation "
                    "of duties — give key administrators and key users separate statements and principals"
                    % (_name(key), grant.statement.label, grant.principal.text, summarize(admin[pid], 3), summarize(use[pid], 3))
                )
        return None

    yield from _first(model, options, find)


@rule("SQG204")
def key_policy_iam_only(model: Model, options: Options) -> Iterator[Hit]:
    for key in model.keys:
        for analysis in analyses(key, model, options):
            if analysis.unresolved is not None or analysis.parse_problem is not None:
                continue
            if analysis.is_default:
                yield Hit(
                    key,
                    "Key %s has no key policy, so AWS applies its default (the account root gets kms:*): "
                    "access is left entirely to IAM and nothing is least-privilege at the key — write a "
                    "%s that names key administrators and key users" % (key.address, key.attr_name("policy")) + ".",
                )
                break
            if not analysis.fully_read:
                continue  # a statement we cannot read may grant someone else
            allows = [g for g in analysis.grants if g.statement.effect == "Allow"]
            if allows and all(g.principal.is_own_root for g in allows):
                yield Hit(
                    policy_owner(key),
                    "%s: the only Allow statement gives the account root %s, which delegates all access "
                    "to IAM — add statements for the key administrators and the key users, scoped to "
                    "what each needs%s." % (_name(key), summarize(allows[0].actions), _when(analysis)),
                    _where(key, allows[0]),
                )
                break


@rule("SQG205")
def key_policy_lockout(model: Model, options: Options) -> Iterator[Hit]:
    for key in model.keys:
        owner = policy_owner(key)
        bypass = key.bypass_lockout
        if bypass is not None and str(bypass.value).lower() == "true":
            yield Hit(
                owner,
                "%s bypasses the policy lockout safety check (%s: %s): AWS then accepts a policy that "
                "leaves nobody able to manage the key — remove it and grant kms:PutKeyPolicy to an "
                "administrator" % (_name(key), bypass.name, bypass.text) + ".",
                bypass.location,
            )
            continue
        for analysis in analyses(key, model, options):
            if analysis.unresolved is not None or analysis.parse_problem is not None or analysis.is_default:
                continue
            if not analysis.fully_read:
                continue  # a statement we cannot read may grant kms:PutKeyPolicy
            if not any("PutKeyPolicy" in g.actions for g in analysis.grants):
                yield Hit(
                    owner,
                    "%s: no Allow statement grants kms:PutKeyPolicy (directly or through a wildcard) to any "
                    "principal, the account root included, so the key could never be managed again and "
                    "AWS rejects the policy — keep the account root statement or grant an administrator "
                    "kms:PutKeyPolicy%s." % (_name(key), _when(analysis)),
                    key.policy.location if key.policy is not None else None,
                )
                break


@rule("SQG206")
def key_policy_service_unscoped(model: Model, options: Options) -> Iterator[Hit]:
    def find(key: Key, analysis: Analysis):
        for grant in analysis.grants:
            if grant.principal.kind == "service" and not grant.scope.source:
                return grant, (
                    "%s: %s allows the service %s %s without an aws:SourceArn or aws:SourceAccount "
                    "condition, so any customer's resource of that service can make it use this key "
                    "(confused deputy) — add aws:SourceArn naming the producer, or aws:SourceAccount"
                    % (_name(key), grant.statement.label, grant.principal.text, summarize(grant.actions))
                )
        return None

    yield from _first(model, options, find)


@rule("SQG207")
def key_policy_grant_unrestricted(model: Model, options: Options) -> Iterator[Hit]:
    def find(key: Key, analysis: Analysis):
        context = context_for(key, model, options)
        users = {principal_id(g.principal) for g in analysis.grants if crypto(g)}
        for grant in analysis.grants:
            if "CreateGrant" not in grant.actions or grant.principal.kind in ("root", "unknown"):
                continue  # a root is delegation to that account's IAM (SQG202 judges foreign ones); an unknown principal is SQG208's
            if grant.scope.grant_for_aws or grant.scope.via_service:
                continue
            principal = grant.principal
            if principal.kind == "wildcard":
                who = "everyone it allows"
            elif principal.kind == "iam" and context.is_foreign(principal.account):
                who = "a principal of account %s" % principal.account
            elif principal_id(principal) in users:
                who = "a key user"
            else:
                continue
            return grant, (
                "%s: %s allows kms:CreateGrant to %s (%s) without a kms:GrantIsForAWSResource "
                "condition, so it can hand its key permissions on to anyone — add the condition "
                "(Bool kms:GrantIsForAWSResource: true) or drop kms:CreateGrant"
                % (_name(key), grant.statement.label, grant.principal.text, who)
            )
        return None

    yield from _first(model, options, find)



@rule("SQG208")
def key_policy_unverifiable(model: Model, options: Options) -> Iterator[Hit]:
    """Once per key: the first expression of its policy that cannot be read statically, and how
    many statements it leaves unjudged (the other rules stay silent about those)."""
    for key in model.keys:
        for analysis in analyses(key, model, options):
            if analysis.unresolved is not None and analysis.unresolved.reported:
                break  # the scan reports it as an error already
            if analysis.unresolved is not None:
                what = analysis.unresolved
                expr = _brief(what.expr)
                yield Hit(
                    policy_owner(key),
                    "%s: the key policy cannot be read statically (%s: %s; %s)%s, so no key-policy rule "
                    "could judge it — %s." % (_name(key), key.policy.name if key.policy else "policy", expr, what.reason, _when(analysis), _HINT),
                    _where(key),
                )
                break
            unreadable = [st for st in analysis.statements if st.unreadable]
            if analysis.unknown_statements or unreadable:
                count = len(unreadable) + len(analysis.unknown_statements)
                if unreadable:
                    first = unreadable[0]
                    where, expr = first.location, "%s uses %s, which" % (first.label, _brief(first.unreadable[0], 240))
                else:
                    where, expr = _where(key), "the statement %s" % analysis.unknown_statements[0]
                yield Hit(
                    policy_owner(key),
                    "%s: %s cannot be read statically, so %d statement%s of the key policy cannot be "
                    "judged (who it names, what it allows, under which conditions) and the key-policy verdicts for this key are "
                    "incomplete%s." % (_name(key), expr, count, "" if count == 1 else "s", _when(analysis)),
                    where,
                )
                break


def _brief(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


_HINT = "pass the value (--parameter or --var, or the configuration's parameters/vars) or scan the code that defines it"
