"""The one converter between records and the service's JSON.

Names are an explicit table (snake_case -> wire name), not string tricks: the service
spells the group key ``GroupId`` in requests and ``GroupID`` in a topic's answer, and
mixes ``From_Account`` with ``TopicName``. Optional fields whose value is None are left
out of bodies. Scalars are structured strictly (a number where a string is documented is
a decode error, not a silent ``str()``), and every structuring failure becomes a
:class:`~tim_topics.errors.DecodeError` naming the path of the bad field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar, get_origin

import attrs
import cattrs
from cattrs.cols import list_structure_factory
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .errors import DecodeError
from .models import Topic

T = TypeVar("T")

#: snake_case field name -> wire name, for every record the library converts.
WIRE_NAMES: Final[dict[str, str]] = {
    "action_status": "ActionStatus",
    "error_code": "ErrorCode",
    "error_info": "ErrorInfo",
    "request_id": "RequestId",
    "group_id": "GroupId",
    "topic_id": "TopicId",
    "topic_name": "TopicName",
    "from_account": "From_Account",
    "custom_string": "CustomString",
    "face_url": "FaceUrl",
    "notification": "Notification",
    "introduction": "Introduction",
    "create_time": "CreateTime",
    "last_msg_time": "LastMsgTime",
    "next_msg_seq": "NextMsgSeq",
    "mute_all_member": "MuteAllMember",
    "topic_id_list": "TopicIdList",
    "response_filter": "ResponseFilter",
    "group_type": "Type",
    "shut_up_time": "ShutUpTime",
    "msg_seq": "MsgSeq",
    "msg_flag": "MsgFlag",
    "topic": "TopicInfo",
    "self_info": "SelfInfo",
    "topic_and_self_info": "TopicAndSelfInfo",
    "destroy_result_item": "DestroyResultItem",
}

#: Per-class exceptions to :data:`WIRE_NAMES`.
_CLASS_NAMES: dict[type, dict[str, str]] = {Topic: {"group_id": "GroupID"}}

#: Per-field value hooks: (structure, unstructure).
_ON_OFF: Final[Mapping[str, bool]] = {"On": True, "Off": False}


def _structure_on_off(value: Any, _: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, str) and value in _ON_OFF:
        return _ON_OFF[value]
    raise ValueError(f"expected 'On' or 'Off', got {value!r}")


def _unstructure_on_off(value: bool | None) -> str | None:
    return None if value is None else ("On" if value else "Off")


_VALUE_HOOKS: Final[dict[str, tuple[Callable[[Any, Any], Any], Callable[[Any], Any]]]] = {
    "mute_all_member": (_structure_on_off, _unstructure_on_off),
}


def _shut_up_all_flag(value: Any) -> str:
    if type(value) is int and value in (0, 1):
        return "On" if value else "Off"
    raise ValueError(f"ShutUpAllFlag: expected 0 or 1, got {value!r}")


#: Per-class stand-ins read when a documented field is absent: (field, stand-in, to the
#: documented value). A peer SDK reads a topic's mute flag as ``ShutUpAllFlag`` (0/1), so
#: an answer carrying that instead of ``MuteAllMember`` keeps its flag.
_STAND_INS: Final[dict[type, tuple[tuple[str, str, Callable[[Any], Any]], ...]]] = {
    Topic: (("MuteAllMember", "ShutUpAllFlag", _shut_up_all_flag),),
}


def _with_stand_ins(cls: type, hook: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    stand_ins = [entry for klass in cls.__mro__ for entry in _STAND_INS.get(klass, ())]
    if not stand_ins:
        return hook

    def structure(value: Any, target: Any) -> Any:
        if isinstance(value, dict):
            for name, stand_in, convert in stand_ins:
                if value.get(name) is None and value.get(stand_in) is not None:
                    value = {**value, name: convert(value[stand_in])}
        return hook(value, target)

    return structure


def register_wire_names(cls: type, names: Mapping[str, str]) -> None:
    """Give ``cls`` its own wire names for some fields (before its first conversion)."""
    _CLASS_NAMES.setdefault(cls, {}).update(names)


def wire_name(cls: type, field: str) -> str:
    """The wire name of ``cls.field``."""
    for klass in cls.__mro__:
        if field in _CLASS_NAMES.get(klass, {}):
            return _CLASS_NAMES[klass][field]
    try:
        return WIRE_NAMES[field]
    except KeyError:
        raise TypeError(f"no wire name for {cls.__name__}.{field}") from None


def _overrides(cls: type) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for field in attrs.fields(cls):
        hooks = _VALUE_HOOKS.get(field.name)
        result[field.name] = override(
            rename=wire_name(cls, field.name),
            omit_if_default=field.default is None,
            struct_hook=hooks[0] if hooks else None,
            unstruct_hook=hooks[1] if hooks else None,
        )
    return result


def _strict(kind: type[Any]) -> Callable[[Any, Any], Any]:
    def structure(value: Any, _: Any) -> Any:
        if type(value) is not kind:
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    return structure


def _is_list(target: Any) -> bool:
    return bool(get_origin(target) is list)


def _typed(kind: type, hook: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """A structure hook that first checks the JSON kind (cattrs would read a string as a
    list of characters, or as an object with every field missing)."""
    expected = "an object" if kind is dict else "an array"

    def structure(value: Any, target: Any) -> Any:
        if not isinstance(value, kind):
            raise TypeError(f"expected {expected}, got {type(value).__name__}")
        return hook(value, target)

    return structure


def make_converter(*, detailed: bool = True) -> cattrs.Converter:
    """A converter with the wire-name table registered for every attrs class.
    ``detailed=False`` makes one that is faster but tells less of what failed."""
    converter = cattrs.Converter(forbid_extra_keys=False, detailed_validation=detailed)
    for kind in (int, str, bool, float):
        converter.register_structure_hook(kind, _strict(kind))
    converter.register_structure_hook_factory(
        attrs.has,
        lambda cl: _typed(
            dict,
            _with_stand_ins(cl, make_dict_structure_fn(cl, converter, **_overrides(cl))),
        ),
    )
    converter.register_structure_hook_factory(
        _is_list,
        lambda t: _typed(list, list_structure_factory(t, converter)),
    )
    converter.register_unstructure_hook_factory(
        attrs.has, lambda cl: make_dict_unstructure_fn(cl, converter, **_overrides(cl))
    )
    return converter


converter: Final = make_converter()
#: Tried first by :func:`from_wire`: the same rules without collecting every error's path,
#: which costs each answer; a failure is structured again by :data:`converter` to say where.
_quick_converter: Final = make_converter(detailed=False)


def to_wire(record: object) -> dict[str, Any]:
    """A record as a JSON-ready dict with the wire's names; None fields left out."""
    body: dict[str, Any] = converter.unstructure(record)
    return body


def from_wire(data: Any, cls: type[T], *, what: str | None = None) -> T:
    """A record from decoded JSON; any mismatch is a :class:`DecodeError` with the path."""
    if not isinstance(data, dict):
        raise DecodeError(
            f"{what or cls.__name__}: expected a JSON object, got {type(data).__name__}"
        )
    try:
        return _quick_converter.structure(data, cls)
    except Exception:  # structured again below, to say what failed
        pass
    try:
        return converter.structure(data, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as exc:
        if isinstance(exc, cattrs.BaseValidationError):
            detail = "; ".join(cattrs.transform_error(exc)[:5])
        else:
            detail = str(exc)
        raise DecodeError(
            f"{what or cls.__name__}: answer does not match the documented shape: {detail}"
        ) from None
