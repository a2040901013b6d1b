"""A mypy plugin giving Reflex states the types Reflex 0.10 declares but mypy cannot see.

Reflex writes its typing for pyright and ty. Two of its tricks do not reach mypy, which made ~140 of the
errors in pages/ and components/:

- `rx.event` is a class whose `__new__` returns `EventCallback[...]`; mypy ignores a `__new__` that returns
  another type, so every handler read as `EventNamespace` ("not callable"). Here the decorator returns
  `EventCallback[<the handler's arguments after self>]`, as Reflex's own overloads say.
- A state var read on the class (`State.count`) is a Var in Reflex. Reflex types that only for vars declared as
  `rx.Field[T]`; for plain `count: int = 0` mypy saw `int`. Here a public var of a state class read on the
  class gets the Var type `rx.Field[T].__get__` would give (NumberVar, StringVar, ArrayVar, ObjectVar...).
- A row of a list var, inside rx.foreach, is an ObjectVar[SomeTypedDict] or ObjectVar[SomeDataclass]; Reflex
  types `row["key"]` / `row.field` from the class at run time but its overloads only know Mapping value types.
  Here a literal key of a TypedDict, or a field of a dataclass, gets that field's Var.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.nodes import ARG_OPT, ARG_POS, MemberExpr, TypeInfo, Var
from mypy.plugin import AttributeContext, FunctionContext, MethodContext, Plugin
from mypy.types import (
    AnyType,
    CallableType,
    Instance,
    LiteralType,
    NoneType,
    ProperType,
    Type,
    TypedDictType,
    TypeOfAny,
    UnionType,
    get_proper_type,
)

EVENT_NAMESPACE = "reflex_base.event.EventNamespace"
EVENT_CALLBACK = "reflex_base.event.EventCallback"
BASE_STATE = "reflex.state.BaseState"
VARS = "reflex_base.vars"


def _event(ctx: FunctionContext, callback: TypeInfo) -> Type:
    """`@rx.event` on a handler: EventCallback over its arguments after self.

    `@rx.event(background=True)` (no function yet) stays as mypy sees it; its handlers read as Any.
    """
    if not ctx.arg_types or not ctx.arg_types[0]:
        return AnyType(TypeOfAny.special_form)
    fn = get_proper_type(ctx.arg_types[0][0])
    if not isinstance(fn, CallableType):
        return ctx.default_return_type
    args = [t for t, kind in zip(fn.arg_types[1:], fn.arg_kinds[1:], strict=True) if kind in (ARG_POS, ARG_OPT)]
    return Instance(callback, args)  # mypy keeps a TypeVarTuple's values flat


def _var_of(var: Callable[[str, list[Type]], Instance], declared: ProperType) -> Type:
    """The Var class Reflex uses for a value of this type (mirrors rx.Field.__get__'s overloads)."""
    if isinstance(declared, UnionType):
        rest = [t for t in declared.items if not isinstance(get_proper_type(t), NoneType)]
        if len(rest) == 1:
            return _var_of(var, get_proper_type(rest[0]))
        return var(f"{VARS}.base.Var", [declared])
    if isinstance(declared, NoneType):
        return var(f"{VARS}.base.NoneVar", [])
    if isinstance(declared, TypedDictType):
        return var(f"{VARS}.object.ObjectVar", [declared])
    if isinstance(declared, Instance):
        name = declared.type.fullname
        if name == "builtins.bool":
            return var(f"{VARS}.number.BooleanVar", [])
        if name in ("builtins.int", "builtins.float"):
            return var(f"{VARS}.number.NumberVar", [declared])
        if name == "builtins.str":
            return var(f"{VARS}.sequence.StringVar", [declared])
        if declared.type.has_base("typing.Sequence") or name == "builtins.set":
            return var(f"{VARS}.sequence.ArrayVar", [declared])
        return var(f"{VARS}.object.ObjectVar", [declared])
    return var(f"{VARS}.base.Var", [declared])


def _item(var: Callable[[str, list[Type]], Instance], ctx: MethodContext) -> Type:
    """`row["key"]` on an ObjectVar of a TypedDict: the Var of that field's type."""
    row = get_proper_type(ctx.type)
    owner = get_proper_type(row.args[0]) if isinstance(row, Instance) and row.args else None
    key = get_proper_type(ctx.arg_types[0][0]) if ctx.arg_types and ctx.arg_types[0] else None
    if isinstance(key, Instance) and key.last_known_value is not None:
        key = key.last_known_value
    if not isinstance(owner, TypedDictType) or not isinstance(key, LiteralType) or key.value not in owner.items:
        return ctx.default_return_type
    return _var_of(var, get_proper_type(owner.items[str(key.value)]))


def _field(var: Callable[[str, list[Type]], Instance], ctx: AttributeContext) -> Type:
    """`row.field` on an ObjectVar of a dataclass: the Var of that field's type."""
    row = get_proper_type(ctx.type)
    owner = get_proper_type(row.args[0]) if isinstance(row, Instance) and row.args else None
    if not isinstance(owner, Instance) or "dataclass" not in owner.type.metadata or not isinstance(
            ctx.context, MemberExpr):
        return ctx.default_attr_type
    found = owner.type.get(ctx.context.name)
    if found is None or not isinstance(found.node, Var) or found.node.type is None:
        return ctx.default_attr_type
    return _var_of(var, get_proper_type(found.node.type))


class ReflexPlugin(Plugin):
    def _info(self, fullname: str) -> TypeInfo:
        found = self.lookup_fully_qualified(fullname)
        assert found is not None and isinstance(found.node, TypeInfo), fullname
        return found.node

    def _var(self, fullname: str, args: list[Type]) -> Instance:
        return Instance(self._info(fullname), args)

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        if fullname != EVENT_NAMESPACE:
            return None
        return lambda ctx: _event(ctx, self._info(EVENT_CALLBACK))

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        if fullname != f"{VARS}.object.ObjectVar.__getitem__":
            return None
        return lambda ctx: _item(self._var, ctx)

    def get_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        if not fullname.startswith(f"{VARS}.object.ObjectVar."):
            return None
        return lambda ctx: _field(self._var, ctx)

    def get_class_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        owner_name, _, attr = fullname.rpartition(".")
        if attr.startswith("_"):
            return None  # backend vars never reach the browser: no Var
        owner = self.lookup_fully_qualified(owner_name)
        if owner is None or not isinstance(owner.node, TypeInfo) or not owner.node.has_base(BASE_STATE):
            return None
        found = owner.node.get(attr)
        if found is None or not isinstance(found.node, Var) or found.node.is_classvar:
            return None

        def state_var(ctx: AttributeContext) -> Type:
            declared = get_proper_type(ctx.default_attr_type)
            if isinstance(declared, Instance) and declared.type.has_base(f"{VARS}.base.Var"):
                return declared  # already a Var (rx.Field, a computed var)
            return _var_of(self._var, declared)

        return state_var


def plugin(version: str) -> type[Plugin]:
    return ReflexPlugin
