"""Only documents/states.py assigns a document's state: `states.apply()` (and `start()` for a
new document). Anything else in solabooks/ that writes a `state` is flagged here, read with
`ast`: an attribute assignment `x.state = …` (or `setattr(x, "state", …)`), and `state=` in
a model constructor or a queryset's update / create / get_or_create / update_or_create /
bulk_update. Other models with a state of their own (time entries, approval requests,
portal access, outbox messages) are allowed where they are written, by name below.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "solabooks"
STATE_MODULE = "documents/states.py"

# Models whose own `state` column other modules write (each has its own rules: projects'
# states.py for time entries, the outbox's and portal access's services).
OTHER_MODELS = {"TimeEntry", "ApprovalRequest", "OutboxMessage", "PortalAccess"}
# `name.state = …` on an object that is not a document: module -> variable names.
OTHER_OBJECTS = {
    "projects/services.py": {"entry"},  # a TimeEntry (projects.states.check first)
    "projects/approvals.py": {"approval_request"},
    "portal/services.py": {"access"},  # a PortalAccess
}
WRITE_METHODS = {"update", "create", "get_or_create", "update_or_create", "bulk_update"}


def _root_name(node: ast.AST) -> str | None:
    """The name a chain starts from: `TimeEntry` in `TimeEntry.objects.filter(…).update`."""
    while True:
        if isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            return node.id if isinstance(node, ast.Name) else None


def _targets(node: ast.AST):
    if isinstance(node, ast.Tuple | ast.List):
        for element in node.elts:
            yield from _targets(element)
    elif isinstance(node, ast.Starred):
        yield from _targets(node.value)
    else:
        yield node


def _names_state(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value == "state"


def _assigns_state(node: ast.AST, allowed_objects: set[str]) -> bool:
    """`x.state = …` (also in a tuple, annotated or augmented) on anything not allowed."""
    if not isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
        return False
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return any(
        isinstance(target, ast.Attribute)
        and target.attr == "state"
        and _root_name(target.value) not in allowed_objects
        for top in targets
        for target in _targets(top)
    )


def _call_writes_state(node: ast.AST, allowed_objects: set[str]) -> bool:
    """setattr(x, "state", …), or `state` written by a constructor or a queryset's write."""
    if not isinstance(node, ast.Call) or _root_name(node.func) in OTHER_MODELS:
        return False
    func = node.func
    method = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if method == "setattr":
        return (
            len(node.args) > 1
            and _names_state(node.args[1])
            and _root_name(node.args[0]) not in allowed_objects
        )
    if method not in WRITE_METHODS and method != "Document":
        return False
    keywords = {keyword.arg: keyword.value for keyword in node.keywords}
    defaults = keywords.get("defaults")
    field_lists = [*node.args[1:], *keywords.values()] if method == "bulk_update" else []
    return (
        "state" in keywords
        or (isinstance(defaults, ast.Dict) and any(_names_state(k) for k in defaults.keys))
        or any(
            _names_state(element)
            for fields in field_lists
            if isinstance(fields, ast.List | ast.Tuple)
            for element in fields.elts
        )
    )


def state_writes(source: str, module: str) -> list[str]:
    """Every place in `source` that writes a document's state, as "line: code"."""
    allowed_objects = OTHER_OBJECTS.get(module, set())
    lines = source.splitlines()
    return [
        f"{node.lineno}: {lines[node.lineno - 1].strip()}"
        for node in ast.walk(ast.parse(source))
        if _assigns_state(node, allowed_objects) or _call_writes_state(node, allowed_objects)
    ]


def modules():
    for path in sorted(ROOT.rglob("*.py")):
        module = path.relative_to(ROOT).as_posix()
        if module != STATE_MODULE and "/migrations/" not in module:
            yield module


@pytest.mark.parametrize("module", list(modules()))
def test_only_the_state_module_assigns_a_documents_state(module):
    writes = state_writes((ROOT / module).read_text(), module)
    assert not writes, (
        f"{module} writes a document's state; go through documents.states.apply():\n"
        + "\n".join(writes)
    )


def test_the_lint_sees_every_way_of_writing_a_state():
    source = """
document.state = State.PAID
invoice.state, other = "paid", 1
quote.state: str = "accepted"
setattr(document, "state", "void")
Document.objects.filter(pk=1).update(state="paid")
documents.update(state="paid")
Document(kind="invoice", state="paid")
Document.objects.create(kind="invoice", state="paid")
Document.objects.update_or_create(pk=1, defaults={"state": "paid"})
Document.objects.bulk_update(rows, ["state", "total"])
"""
    assert len(state_writes(source, "somewhere/services.py")) == 10


def test_the_lint_lets_other_models_and_reads_be():
    source = """
TimeEntry.objects.filter(pk=1).update(state="approved")
OutboxMessage.objects.filter(pk=1).update(state="sent")
Document.objects.filter(state="sent").exclude(state="draft")
entry.state = "pending"
if document.state == "sent":
    pass
states.apply(document, "void", actor=actor)
"""
    assert state_writes(source, "projects/services.py") == []
    # The same `entry.state = …` anywhere else is flagged: the allowance names its module.
    assert len(state_writes("entry.state = 'pending'", "documents/services.py")) == 1
