"""The policy as loaded: the ladder, interest and settings; problems shown plainly."""
from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Header, Static

from receivables.policytypes import example_note

from ..fmt import clean
from ..state import BookState, policy_path
from ..widgets.footer import DunFooter
from .base import DunScreen


class PolicyScreen(DunScreen):
    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="policy-body"):
            yield Static("", id="policy", markup=False)
        yield DunFooter()

    def show(self, state: BookState) -> None:
        self.query_one("#policy", Static).update(clean(render_policy(state)))


def render_policy(state: BookState) -> Group:
    out: list = []
    path = policy_path(state.book_dir, getattr(state, "repo", None))
    shown = f"{path.parent.name}/{path.name}"  # the book folder's own policy file
    out.append(Text(f"Policy · {shown}", style="bold"))
    if state.policy_problems:
        out.append(Text(f"\n{len(state.policy_problems)} problem(s) — the agenda is off until they are fixed:\n",
                        style="bold red"))
        for p in state.policy_problems:
            line = Text("• ", style="red")
            line.append(p.where + ": " if p.where else "", style="bold")
            line.append(p.message)
            if p.hint:
                line.append(f" — {p.hint}", style="dim")
            out.append(line)
        out.append(Text(f"\nEdit {path} and press ctrl+r to reload.", style="dim"))
        return Group(*out)
    pol = state.policy
    lad = pol.ladder
    if pol.company.example:
        out.append(Text(f"{example_note(pol.company)}. Until then statements and letters carry them, and no "
                        f"e-mail is sent ({shown}).", style="bold red"))
    out.append(Text(f"{pol.company.name} · default {pol.defaults.currency}, {pol.defaults.terms_days} days, "
                    f"{pol.defaults.locale} · business days of {pol.calendar.country}"
                    + (f"-{pol.calendar.subdivision}" if pol.calendar.subdivision else ""), style="dim"))
    out.append(Text("\nThe ladder", style="bold"))
    t = Table(box=None, padding=(0, 1), header_style="dim", expand=True)
    for col, kw in (("#", {"justify": "right"}), ("Step", {}), ("Id", {"style": "dim"}), ("Days", {"justify": "right"}),
                    ("Channel", {}), ("Template", {"style": "dim"}), ("Rules", {"ratio": 1})):
        t.add_column(col, no_wrap=col != "Rules", **kw)
    for n, s in enumerate(pol.steps, 1):
        rules = []
        if s.required:
            rules.append("required")
        if s.min_overdue is not None:
            rules.append(f"min overdue {s.min_overdue}")
        if s.credit_hold:
            rules.append("puts on hold")
        if s.escalate:
            rules.append(f"hands over to {s.escalate}")
        days = f"{s.after_due_days:+d}"
        t.add_row(str(n), Text(s.title or s.id), Text(s.id), days, s.channel, Text(s.template), ", ".join(rules))
    out.append(t)
    out.append(Text(
        f"At least {lad.min_gap_days} days between contacts · amounts under {lad.tolerance} not chased · "
        f"promise grace {lad.promise_grace_days}d · dispute review {lad.dispute_review_days}d · "
        f"plan grace {lad.plan_grace_days}d · credit review {lad.credit_review_days}d", style="dim"))
    ip = pol.interest
    out.append(Text("\nInterest", style="bold"))
    if ip.regime == "none":
        out.append(Text("No late-payment interest (regime = none)."))
    else:
        line = f"Regime {ip.regime}"
        if ip.regime == "contract":
            line += f", {ip.annual_rate}% a year"
        else:
            line += f", reference rate + {ip.margin} points"
        line += " · claimed on statements" if ip.charge else " · computed but not claimed (charge = false)"
        out.append(Text(line))
        if ip.reference_rates:
            rt = Table(box=None, padding=(0, 1), header_style="dim")
            rt.add_column("From")
            rt.add_column("Rate", justify="right")
            for r in ip.reference_rates[-6:]:
                rt.add_row(r.start.isoformat(), f"{r.rate}%")
            if len(ip.reference_rates) > 6:
                rt.add_row(Text(f"… {len(ip.reference_rates) - 6} earlier", style="dim"), "")
            out.append(rt)
        from receivables.interest import stale_rate_table

        stale = stale_rate_table(pol, state.on)
        if stale:
            out.append(Text(stale[0].upper() + stale[1:] + ".", style="bold yellow"))
    out.append(Text(f"\nBackups kept: {pol.backup.keep} · paper {pol.publish.paper} · "
                    f"internal notes published: {'yes' if pol.publish.internal_notes else 'no'}", style="dim"))
    return Group(*out)
