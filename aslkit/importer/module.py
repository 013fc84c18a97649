"""A whole definition back to a workflow module: one variable per state, the `>>` chains and Choice rules that
wire them, the `StateMachine` and the `Workflow`.

States are written in the order the definition lists them, except that a Parallel's branches and a Map's
processor come just before the state that runs them, and a Catch target before the state that catches to it
(a catch cycle is wired afterwards with `add_catch`).
"""

from __future__ import annotations

import keyword
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from aslkit.importer import fragments
from aslkit.importer.choices import ChoiceWriter
from aslkit.importer.code import INDENT, Chained, Module, Raw, call, dict_of, list_of, literal, margin
from aslkit.importer.states import ImportRefused, StateWriter, retry_key
from aslkit.importer.values import ASL, Language, Values, effective_language

State = Mapping[str, object]
_TOP_LEVEL = frozenset({"Comment", "StartAt", "States", "QueryLanguage", "TimeoutSeconds", "Version"})
#: Names the generated module imports or defines in lower case, which a state variable must not shadow.
_TAKEN = frozenset({"path", "jsonata", "lambda_invoke", "aws_sdk", "service_task", "fragment", "number_parameter",
                    "machine"})  # fmt: skip


@dataclass
class Graph:
    """One `{StartAt, States}` object: the machine's, a Parallel branch's or a Map processor's."""

    states: dict[str, State]
    start: str
    language: Language
    label: str  # "the machine", "branch 1 of 'Fan out'" ...
    sub: dict[str, list[Graph]] = field(default_factory=dict)  # state name -> its branches or processor


def write_module(
    document: Mapping[str, object], *, machine: str, workflow: str, source: str, values: Mapping[str, str]
) -> str:
    """The text of a workflow module whose `machine` renders `document`; `values` fill its placeholders."""
    extra = sorted(set(document) - _TOP_LEVEL)
    if extra:
        raise ImportRefused(
            f"{source}: top-level {', '.join(extra)} is not a field of a state machine definition",
            hint=f"a definition has {', '.join(sorted(_TOP_LEVEL))}",
        )
    language: Language = "JSONata" if document.get("QueryLanguage") == "JSONata" else "JSONPath"
    top = _graph(document, language, "the machine")
    comment = document.get("Comment")
    summary = comment if isinstance(comment, str) and comment else f"State machine {machine}"
    module = Module(
        f"{summary}\n\nImported from {source} by `aslkit import`; `aslkit build` renders it back unchanged."
    )
    writer = _Writer(module, top)
    writer.shared_retries(top)
    writer.fragment_functions()
    writer.graph(top)
    module.blank()
    declared = sorted(writer.values.in_text)
    module.assign(
        "machine",
        call(
            module.use(ASL, "StateMachine"),
            literal(machine),
            Raw(writer.names[top.start]),
            comment=writer.values.text(comment) if comment is not None else None,
            query_language=literal(document["QueryLanguage"]) if "QueryLanguage" in document else None,
            timeout_seconds=literal(document["TimeoutSeconds"]) if "TimeoutSeconds" in document else None,
            version=literal(document["Version"]) if "Version" in document else None,
            placeholders=list_of([literal(name) for name in declared]) if declared else None,
        ),
    )
    module.blank()
    placeholders = sorted(writer.values.in_text | writer.values.placeholders)
    if any(name not in values for name in placeholders):
        module.statement(
            "# Give each placeholder left empty the value it takes at deploy time (DefinitionSubstitutions)."
        )
    module.assign(
        "WORKFLOW",
        call(
            module.use("aslkit.spec", "Workflow"),
            literal(workflow),
            writer.values.text(summary),
            machines=list_of([Raw("machine")]),
            parameters=dict_of([(n, literal(values.get(n, ""))) for n in placeholders]) if placeholders else None,
        ),
    )
    return module.render()


def _graph(node: Mapping[str, object], language: Language, label: str) -> Graph:
    states = node.get("States")
    start = node.get("StartAt")
    if not isinstance(states, Mapping) or not isinstance(start, str) or start not in states:
        raise ImportRefused(f"{label} needs StartAt naming one of its States")
    graph = Graph({str(k): v for k, v in states.items() if isinstance(v, Mapping)}, start, language, label)
    for name, state in graph.states.items():
        inner = effective_language(state, language)
        branches = state.get("Branches")
        if state.get("Type") == "Parallel" and isinstance(branches, list):
            graph.sub[name] = [_graph(b, inner, f"branch {i + 1} of {name!r}") for i, b in enumerate(branches)]
        processor = state.get("ItemProcessor", state.get("Iterator"))
        if state.get("Type") == "Map" and isinstance(processor, Mapping):
            graph.sub[name] = [_graph(processor, inner, f"the processor of {name!r}")]
    return graph


def _catch_targets(state: State) -> list[str]:
    return [target for field, target in fragments.edges(state) if field == "Catch"]


class _Writer:
    def __init__(self, module: Module, top: Graph) -> None:
        self.module = module
        self.values = Values(module)
        self.names = _variables(top)
        self.states = StateWriter(self.values, lambda name: self.names[name])
        self.choices = ChoiceWriter(self.values, lambda name: self.names[name])
        graphs = _all_graphs(top)
        self.fragments = fragments.find([(g.states, g.start, g.language) for g in graphs])
        self.instance_of: dict[str, fragments.Instance] = {}
        self.function_of: dict[int, str] = {}  # id(instance) -> the fragment function that builds it
        used = set(self.names.values()) | _TAKEN
        for fragment in self.fragments:
            function = _unique(_identifier(fragment.start), used)
            for instance in fragment.instances:
                self.instance_of.update((name, instance) for name in instance.names)
                self.function_of[id(instance)] = function
                self.names[instance.start] = _unique(_identifier(instance.prefix), used)

    def fragment_functions(self) -> None:
        """`@fragment def launch_and_wait(*, prefix: str = "") -> Chain: ...` for each repeated sub-graph."""
        for fragment in self.fragments:
            function = self.function_of[id(fragment.instances[0])]
            graph = Graph(dict(fragment.states), fragment.start, fragment.language, "")
            outer_names, outer_body = self.names, self.module.body
            self.names, self.module.body = _variables(graph), []
            with margin(len(INDENT)):
                self.graph(graph)
                ends = [self.names[n] for n, s in graph.states.items() if s.get("End") is True and s["Type"] not in
                        fragments.FINAL]  # fmt: skip
                returned = call(
                    self.module.use(ASL, "Chain"), Raw(self.names[graph.start]), list_of([Raw(end) for end in ends])
                )
                lines = self.module.body
                while lines and lines[-1] == "":
                    lines.pop()
                body = [*lines, f"return {returned.text('', len('return '))}"]
            self.names, self.module.body = outer_names, outer_body
            places = ", ".join(repr(i.prefix) for i in fragment.instances)
            self.module.blank_lines(2)
            self.module.statement(f"@{self.module.use(ASL, 'fragment')}")
            self.module.statement(f'def {function}(*, prefix: str = "") -> {self.module.use(ASL, "Chain")}:')
            self.module.statement(f'{INDENT}"""The states repeated under the prefixes {places}."""')
            for line in body:
                self.module.statement("\n".join(INDENT + part if part else "" for part in line.split("\n")))
            self.module.blank_lines(2)

    def shared_retries(self, top: Graph) -> None:
        """`RETRY = [Retry(...)]` for each Retry list that two or more states have, used by name in each."""
        found: dict[str, tuple[str, object]] = {}
        counts: Counter[str] = Counter()
        graphs = [top]
        while graphs:
            graph = graphs.pop(0)
            for name, state in graph.states.items():
                if isinstance(state.get("Retry"), list):
                    key = retry_key(state["Retry"])
                    counts[key] += 1
                    found.setdefault(key, (name, state["Retry"]))
            graphs += [sub for subs in graph.sub.values() for sub in subs]
        for number, key in enumerate([k for k, n in counts.items() if n > 1], start=1):
            variable = "RETRY" if number == 1 else f"RETRY_{number}"
            self.module.assign(variable, self.states.retry_list(*found[key]))
            self.states.shared_retries[key] = variable
        self.module.blank()

    def graph(self, graph: Graph) -> None:
        defined: set[str] = set()
        pending: set[str] = set()
        late_catch: list[str] = []

        def define(name: str) -> None:
            if name in defined or name in pending:
                return
            instance = self.instance_of.get(name) if graph.label else None
            if instance is not None:  # a fragment's state: its instance is built by one call, at its start
                if name == instance.start:
                    built = call(self.function_of[id(instance)], prefix=literal(instance.prefix))
                    self.module.assign(self.names[name], built)
                defined.add(name)
                return
            pending.add(name)
            state = graph.states[name]
            for sub in graph.sub.get(name, []):
                self.graph(sub)
            targets = _catch_targets(state)
            for target in targets:
                define(target)
            cycle = any(target in pending and target not in defined for target in targets)
            if cycle:
                late_catch.append(name)
            self.module.assign(self.names[name], self.states.constructor(name, state, graph.language, catch=not cycle))
            pending.discard(name)
            defined.add(name)

        if graph.label not in ("the machine", ""):
            self.module.blank()
            self.module.statement(f"# {graph.label[0].upper()}{graph.label[1:]}")
        for name in graph.states:
            define(name)
        self._wire(graph, late_catch)
        self.module.blank()

    def _wire(self, graph: Graph, late_catch: list[str]) -> None:
        inside = {n for n in graph.states if n in self.instance_of} if graph.label else set()
        chained: set[str] = set(inside)  # a fragment wires its own states; a chain into it stops at its start
        targets = {str(s["Next"]) for s in graph.states.values() if "Next" in s}
        others = [n for n in graph.states if n not in targets] + [n for n in graph.states if n in targets]
        starts = [graph.start, *others]  # the graph reads from its start
        for start in starts:
            if start in chained or "Next" not in graph.states[start]:
                continue
            chain = [start]
            chained.add(start)
            current = start
            while "Next" in graph.states[current]:
                following = str(graph.states[current]["Next"])
                chain.append(following)
                if following in chained:
                    break
                chained.add(following)
                current = following
            self.module.statement(Chained([self.names[n] for n in chain]).text())
        for instance in {id(self.instance_of[n]): self.instance_of[n] for n in inside}.values():
            if instance.exit is not None:
                self.module.statement(Chained([self.names[instance.start], self.names[instance.exit]]).text())
        for name, state in graph.states.items():
            if name in inside:
                continue
            if state.get("Type") == "Choice":
                for node in self.choices.statements(self.names[name], name, state, graph.language):
                    self.module.statement(node.text())
        for name in late_catch:
            for args in self.states.catchers(name, graph.states[name], graph.language):
                self.module.statement(args.call(f"{self.names[name]}.add_catch").text())


def _all_graphs(top: Graph) -> list[Graph]:
    graphs, queue = [], [top]
    while queue:
        graph = queue.pop(0)
        graphs.append(graph)
        queue += [sub for subs in graph.sub.values() for sub in subs]
    return graphs


def _unique(base: str, used: set[str]) -> str:
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}_{n}", n + 1
    used.add(candidate)
    return candidate


def _variables(top: Graph) -> dict[str, str]:
    """A Python variable for every state of the machine (names are unique across the whole machine)."""
    names: dict[str, str] = {}
    used: set[str] = set(_TAKEN)
    stack = [top]
    while stack:
        graph = stack.pop(0)
        for name in graph.states:
            base = _identifier(name)
            candidate, n = base, 2
            while candidate in used:
                candidate, n = f"{base}_{n}", n + 1
            used.add(candidate)
            names[name] = candidate
        for subs in graph.sub.values():
            stack += subs
    return names


def _identifier(name: str) -> str:
    """`Get read set (v2)` -> `get_read_set_v2`; `SaveItem` -> `save_item`."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    text = re.sub(r"[^0-9A-Za-z]+", "_", spaced).strip("_").lower()
    if len(text) > 40:
        text = text[:40].rsplit("_", 1)[0] or text[:40]
    if not text or text[0].isdigit() or keyword.iskeyword(text) or keyword.issoftkeyword(text):
        text = f"state_{text}".rstrip("_")
    return text
