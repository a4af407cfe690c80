"""Forms that validate as you type and never lose what was typed.

A :class:`FormDialog` lays out fields (a label, an input and the error right under it).
Each field has a parser: text -> value, raising :class:`DunError` when wrong; the error
shows next to the field on every keystroke. Saving calls ``save(values)``; if the store
refuses, the message shows in the dialog and the dialog stays open with everything as typed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Callable, Mapping

from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Static, TextArea

from receivables.dates import parse_date
from receivables.errors import DunError
from receivables.money import parse_typed_amount
from receivables.policytypes import Defaults
from receivables.slugs import match_clients

from ..fmt import money, safe
from ..widgets.typing import TextInput, focus_now, move_focus, type_into


@dataclass
class Field:
    name: str
    label: str
    value: str = ""
    parse: Callable[[str], Any] | None = None  # raises DunError
    placeholder: str = ""
    required: bool = True
    help: str = ""
    # what a valid value means, shown under the field when it is not what was typed (e.g. the
    # client "acme" found): (value, the text typed) -> a line, or ""
    note: Callable[[Any, str], str] | None = None


DEFAULT_LOCALE = Defaults().locale  # amounts typed before the policy is read (or with a policy in error)


def amount_parser(currency: Callable[[], str] | str, locale: Callable[[], str] | None = None, *,
                  allow_zero: bool = False, allow_negative: bool = False):
    """An amount field's parser: plain digits, or as the owner's ``locale`` writes money
    (receivables.money.parse_typed_amount: "1,250.00", "£1,250.00"; "1.250,00 €" in de_DE). What
    was not typed plainly is shown under the field as it was read ("= £1,250.00")."""
    def cur_of() -> str:
        return currency() if callable(currency) else currency

    def parse(text: str) -> Decimal:
        return parse_typed_amount(text, cur_of(), locale() if locale is not None else DEFAULT_LOCALE, "amount",
                                  allow_zero=allow_zero, allow_negative=allow_negative)

    def note(value: Decimal, text: str) -> str:
        return "" if text.strip() == format(value, "f") else f"= {money(value, cur_of())}"

    parse.note = note  # type: ignore[attr-defined]
    parse.depends = callable(currency)  # type: ignore[attr-defined]  (read again when another field changes)
    return parse


def date_parser(*, not_before: date | None = None, after: date | None = None, not_after: date | None = None,
                why: str = ""):
    """``why``: said after a date past ``not_after`` (e.g. what such a date would do)."""
    def parse(text: str) -> date:
        d = parse_date(text, "date")
        if not_before is not None and d < not_before:
            raise DunError(f"must be {not_before.isoformat()} or later", "date")
        if not_after is not None and d > not_after:
            raise DunError(f"must be {not_after.isoformat()} or earlier" + (f": {why}" if why else ""), "date")
        if after is not None and d <= after:
            raise DunError(f"must be after {after.isoformat()}", "date")
        return d
    return parse


def int_parser(minimum: int = 0, maximum: int = 10_000):
    def parse(text: str) -> int:
        t = text.strip()
        if not t.isascii() or not t.isdigit():
            raise DunError("must be a whole number", "number")
        n = int(t)
        if n < minimum or n > maximum:
            raise DunError(f"must be between {minimum} and {maximum}", "number")
        return n
    return parse


def client_field(value: str, clients: Callable[[], Mapping[str, Any]], label: str = "Client",
                 check: Callable[[Any], None] | None = None) -> Field:
    """A form's client field: the id, or enough of the id or the name to find one client
    (receivables.slugs.match_clients); the client found is named under it. ``check(client)``
    may refuse the client found (raises DunError)."""

    def parse(text: str) -> str:
        t = text.strip()
        got = match_clients(t, clients())
        if len(got) == 1:
            if check is not None:
                check(clients()[got[0]])
            return got[0]
        if not got:
            raise DunError(f"no client's id or name holds {t!r}", "client",
                           "check the spelling, or add the client on the Clients screen (2, then a)")
        more = ", ".join(got[:3]) + (f" and {len(got) - 3} more" if len(got) > 3 else "")
        raise DunError(f"{len(got)} clients match {t!r} ({more})", "client", "type more of the name or the id")

    def note(cid: str, text: str) -> str:
        c = clients().get(cid)
        return f"= {c.name} ({cid})" if c is not None and text.strip() != cid else ""

    return Field("client", label, value, parse, placeholder="the id, or part of the name", note=note)


def text_parser(what: str = "this"):
    def parse(text: str) -> str:
        if not text.strip():
            raise DunError(f"{what} is needed", "text")
        return text.strip()
    return parse


def message_of(e: DunError) -> str:
    p = e.problem
    return p.message + (f" — {p.hint}" if p.hint else "")


PENDING = object()  # what ``save`` returns when the write goes on in a worker, which then calls saved() or saving_failed()


class FormDialog(ModalScreen[Any]):
    """A modal form. Subclasses set ``TITLE_TEXT``, build ``fields()`` and implement ``save``."""

    TITLE_TEXT = "Form"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form.cancel", tooltip="Close the form; nothing is saved"),
        # not a priority binding: ctrl+s goes to the focused field after the keys typed before
        # it, then up to here, so a save sees everything typed (as a priority one it ran first)
        Binding("ctrl+s", "save", "Save", id="form.save", tooltip="Save (a field in error is named; nothing is lost)"),
        # enter in a field moves to the next one (saves on the last), handled before the field
        # sees the key and at once: a burst of typing ("INV-9", enter, "acme", enter...) finds
        # the next field focused when its keys arrive (a Submitted message came after them)
        Binding("enter", "next_field", "Next field", id="form.next", show=False, priority=True,
                tooltip="The next field (in the last one: save)"),
        # tab and shift+tab likewise, before the keys typed after them (see move_focus)
        Binding("tab", "move_focus(True)", "Next field", id="form.tab", show=False, priority=True),
        Binding("shift+tab", "move_focus(False)", "Previous field", id="form.shift_tab", show=False,
                priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, Any] = {}
        self._fields: list[Field] = []

    def owner_locale(self) -> str:
        """The locale amounts are typed in: the policy's (its [defaults] locale)."""
        policy = getattr(getattr(self.app, "state", None), "policy", None)
        return getattr(getattr(policy, "defaults", None), "locale", "") or DEFAULT_LOCALE

    # hooks -------------------------------------------------------------------------
    def fields(self) -> list[Field]:
        return []

    def compose_extra(self) -> ComposeResult:
        """Widgets shown under the fields (previews, allocation tables...)."""
        return
        yield

    def save(self, values: dict[str, Any]) -> Any:
        """Perform the write; raise DunError to refuse. The return value is the result."""
        return values

    def on_values(self, values: dict[str, Any]) -> None:
        """Called after every valid change (update previews)."""

    def cross_check(self, values: dict[str, Any]) -> dict[str, str]:
        """Errors that involve several fields: name -> message."""
        return {}

    # layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        self._fields = self.fields()
        with Vertical(id="dialog", classes="dialog"):
            yield Static(safe(self.TITLE_TEXT), classes="dialog-title", markup=False)
            with VerticalScroll(classes="dialog-body"):
                for f in self._fields:
                    with Vertical(classes="field", id=f"field-{f.name}"):
                        with Horizontal(classes="field-row"):
                            yield Label(f.label + ("" if f.required else " (optional)"), classes="field-label",
                                        markup=False)
                            yield TextInput(f.value, placeholder=f.placeholder or f.help, id=f"in-{f.name}",
                                        classes="field-input", compact=True)
                        yield Static("", id=f"err-{f.name}", classes="field-error", markup=False)
                yield from self.compose_extra()
            yield Static("", id="form-error", classes="form-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        # (Textual calls every class's on_mount, the subclass's first: a subclass sets up its own
        # there without calling this one, and says where typing starts in first_focus)
        for f in self._fields:
            self._check(f, self.query_one(f"#in-{f.name}", Input).value, show=bool(f.value))
        self._after_change()
        target = self.first_focus()
        if target is not None:
            focus_now(target)

    def first_focus(self) -> Widget | None:
        """Where typing starts: the first empty required field, else the first field that can
        be typed in."""
        inputs = {f.name: self.query_one(f"#in-{f.name}", Input) for f in self._fields}
        enabled = [f for f in self._fields if not inputs[f.name].disabled]
        target = next((f for f in enabled if f.required and not f.value), enabled[0] if enabled else None)
        return inputs[target.name] if target is not None else None

    # validation ----------------------------------------------------------------------
    def _check(self, f: Field, text: str, show: bool = True) -> str | None:
        err = ""
        if not text.strip():
            if f.required:
                err = "needed"
            self.values[f.name] = None
        elif f.parse is not None:
            try:
                self.values[f.name] = f.parse(text)
            except DunError as e:
                err = message_of(e)
                self.values[f.name] = None
        else:
            self.values[f.name] = text
        noted = f.note if f.note is not None else getattr(f.parse, "note", None)
        note = noted(self.values[f.name], text) if noted is not None and not err and \
            self.values[f.name] is not None else ""
        label = self.query_one(f"#err-{f.name}", Static)
        label.update(err if show and err else safe(note))  # (a note may name a client: text from the book)
        label.set_class(not err and bool(note), "-note")
        label.display = bool(err and show) or bool(note)
        inp = self.query_one(f"#in-{f.name}", Input)
        inp.set_class(bool(err) and show, "-invalid")
        return err or None

    def field_value(self, name: str) -> Any:
        return self.values.get(name)

    def set_field(self, name: str, text: str) -> None:
        self.query_one(f"#in-{name}", Input).value = text

    @on(Input.Changed, ".field-input")
    def _changed(self, event: Input.Changed) -> None:
        self._field_changed(event.input)

    def _field_changed(self, field: Input) -> None:
        """A field's text changed: its value and note, the form's line, what depends on it."""
        f = next((x for x in self._fields if f"in-{x.name}" == field.id), None)
        if f is None:
            return
        self._check(f, field.value)
        for g in self._fields:  # a field read in the light of others (an amount, of the currency
            if g is not f and getattr(g.parse, "depends", False):  # field): read again, its note too
                text = self.query_one(f"#in-{g.name}", Input).value
                if text.strip():
                    self._check(g, text)
        self.query_one("#form-error", Static).update("")
        self._after_change()

    def _after_change(self) -> None:
        errors = self.cross_check(self.values)
        for name, msg in errors.items():
            try:
                label = self.query_one(f"#err-{name}", Static)
                label.update(msg)
                label.display = True
            except Exception:
                pass
        self.on_values(self.values)

    def typed_ahead(self, event, ahead: bool = False) -> bool:
        """A key typed right after the key that opened this form, reaching the app from the
        screen below (focused when it came in; the form takes the focus only once that key's
        binding has run): the form's, in order. A character goes into the field typing starts
        in (or the one focused), enter moves on as in a field. ("$" then "100" typed at once
        lost the amount; "n" then a note, the note.) A key typed here goes where it goes."""
        if not ahead and self.focused is not None:  # (before its focus is set, a key is this dialog's)
            return False
        target = self.focused
        if not isinstance(target, (Input, TextArea)):
            target = self.first_focus()
            if not isinstance(target, (Input, TextArea)):
                return False
            if isinstance(target, Input) and target.select_on_focus:
                # as the focus would: the text there is selected, so the first key replaces it;
                # the focus event comes later, after keys typed since, so it must not select again
                target.select_on_focus = False
                target.select_all()
            self.set_focus(target)
        if event.key in ("tab", "shift+tab"):
            move_focus(self, event.key == "tab")
            return True
        if event.key == "enter" and isinstance(target, Input):
            try:
                self.action_next_field()
            except SkipAction:  # the last field: enter there saves
                self.action_save()
            return True
        if not type_into(target, event):
            return False
        if isinstance(target, Input):  # what its change message will do, now: a key after this one
            self._field_changed(target)  # (ctrl+s) may act before that message is handled
        return True

    def action_next_field(self) -> None:
        """Enter in a field but the last: the next field. In the last, enter reaches the field
        itself, after the keys typed before it (its Submitted message saves); elsewhere (a
        button, an allocation line, a text area) enter does what it does there."""
        focused = self.focused
        inputs = list(self.query(".field-input").results(Input))
        if focused not in inputs or focused is inputs[-1]:
            raise SkipAction()
        # (at once, its text selected at once: a date typed in a burst after enter replaced
        # nothing and went onto the end of the date shown, "2026-12-042026-12-02")
        focus_now(inputs[inputs.index(focused) + 1])

    def action_move_focus(self, forward: bool) -> None:
        move_focus(self, forward)

    @on(Input.Submitted, ".field-input")
    def _submitted(self, event: Input.Submitted) -> None:
        self.action_save()  # (the last field: see action_next_field)

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        first_bad = None
        for f in self._fields:
            text = self.query_one(f"#in-{f.name}", Input).value
            if self._check(f, text) and first_bad is None:
                first_bad = f
        cross = self.cross_check(self.values)
        for name, msg in cross.items():
            label = self.query_one(f"#err-{name}", Static)
            label.update(msg)
            label.display = True
            if first_bad is None:
                first_bad = next((x for x in self._fields if x.name == name), None)
        if first_bad is not None:
            focus_now(self.query_one(f"#in-{first_bad.name}", Input))
            self.query_one("#form-error", Static).update("Fix the field marked above; nothing was saved.")
            return
        if self.app.repo is None or getattr(self.app.repo, "read_only", False):
            self.query_one("#form-error", Static).update(
                "The book is open read-only (another dun is writing to it): nothing was saved. "
                "Your input is kept; close the other window and reopen to save.")
            return
        try:
            result = self.save(dict(self.values))
        except DunError as e:
            self.saving_failed(e)
            return
        if result is not PENDING:
            self.saved(result)

    def saved(self, result: Any) -> None:
        """The write is done: the state follows it, the dialog closes."""
        self.app.reload()
        self.dismiss(result if result is not None else True)

    def saving_failed(self, e: DunError) -> None:
        """The write was refused: the form stays as typed, the refusal under it."""
        self.query_one("#form-error", Static).update("Not saved: " + message_of(e))


class ConfirmDialog(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape,n", "answer(False)", "No", id="confirm.no"),
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
    ]

    def __init__(self, question: str, yes: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog confirm"):
            yield Static(safe(self.question), classes="dialog-title", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="primary", compact=True)
                yield Button("No (n)", id="no", compact=True)

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")
