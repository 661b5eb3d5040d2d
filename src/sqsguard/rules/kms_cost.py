"""SQG501: a data key reuse period below the default multiplies a queue's KMS requests.

The numbers come from the cost model (cost.py) that `sqsguard cost` reports, so the finding and
the report never disagree.
"""

from __future__ import annotations

from typing import Iterator

from ..model import Model
from ..options import Options
from ..queue_users import flows
from .base import Hit, rule, set_by


def _counted(number: int, side: str, source: str) -> str:
    noun = "%s %s principal%s" % (number, side, "" if number == 1 else "s")
    if source == "option":
        return noun + " (configured)"
    if source == "assumed":
        return noun + " (the code shows none; 1 assumed)"
    return noun + " (shown by the code)"


@rule("SQG501")
def kms_reuse_period_short(model: Model, options: Options) -> Iterator[Hit]:
    # only a queue that sets the period can set it short (the cost model and the flows are
    # not even imported for a scan where none does)
    setting = [q for q in model.queues if q.data_key_reuse is not None and q.data_key_reuse.value is not None]
    if not setting:
        return
    from .. import cost

    seconds = cost.month_seconds(options.month_days)
    by_queue = flows(model)
    for queue in setting:
        item = cost.queue_cost(queue, by_queue.get(id(queue)), options.producers, options.consumers, seconds)
        if item is None or not item.reuse.known or not item.reuse.set or item.reuse.seconds >= cost.DEFAULT_REUSE:
            continue
        reuse, counted = item.reuse, item.principals
        default = cost.kms_requests(seconds, cost.DEFAULT_REUSE, counted.producers, counted.consumers)
        attr = queue.data_key_reuse
        if reuse.note:
            shown = "%s (%s)" % (attr.text, reuse.note)
        else:
            shown = attr.text if attr.text == str(reuse.seconds) else "%s (%d seconds)" % (attr.text, reuse.seconds)
        yield Hit(
            queue,
            "Queue %s sets %s: %s%s%s, below the %d-second default: with %s and %s, AWS's bound is "
            "%s KMS requests in a %g-day month (about $%.2f at $0.03 per 10,000), against %s at %d "
            "seconds — remove the setting or raise it to at least %d seconds, or suppress this "
            "finding with the reason if the shorter period is deliberate."
            % (
                queue.address,
                attr.name,
                shown,
                set_by(attr),
                " when %s" % reuse.when if reuse.when else "",
                cost.DEFAULT_REUSE,
                _counted(counted.producers, "producing", counted.producers_from),
                _counted(counted.consumers, "consuming", counted.consumers_from),
                format(item.requests, ","),
                options.month_days,
                item.cost,
                format(default, ","),
                cost.DEFAULT_REUSE,
                cost.DEFAULT_REUSE,
            ),
            attr.location,
        )
