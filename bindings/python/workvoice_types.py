"""Encode and decode the values that cross the Workvoice core's FFI, in Python.

The core's FFI (``CoreFfi`` in the generated ``workvoice_core`` module) takes and returns bytes:
bincode (fixed-width little-endian integers, ``u64`` lengths, ``u32`` enum variant indices,
one byte for ``Option`` and ``bool``), as crux's bridge writes it. Kotlin and Swift get
generated classes for these types; Python gets this module, which reads the types' shapes
from ``workvoice_types.json`` (generated from the Rust types by ``scripts/bindings``) and
converts between bincode and plain Python values:

- a struct is a ``dict`` of its fields;
- an enum value is ``{"Variant": payload}``, or the string ``"Variant"`` for a unit variant
  (a struct variant's payload is a ``dict``, a tuple variant's a ``list``);
- ``Option`` is ``None`` or the value, sequences are lists, bytes are ``bytes``.

    types = WorkvoiceTypes.load()
    event = types.encode("Event", {"SubmitNewPin": {"pin": "1234", "confirm": "1234",
                                                     "duress_pin": None}})
    view = types.decode("ViewModel", core.view())

Only the standard library is used.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any, Dict, List, Tuple

_INTS = {
    "I8": "<b", "I16": "<h", "I32": "<i", "I64": "<q",
    "U8": "<B", "U16": "<H", "U32": "<I", "U64": "<Q",
    "F32": "<f", "F64": "<d",
}


class CodecError(ValueError):
    """A value does not fit its type, or bytes are not a valid encoding of it."""


def _type_key(reference: Dict[str, Any]) -> str:
    namespace = reference.get("namespace", "ROOT")
    name = reference["name"]
    if namespace == "ROOT":
        return name
    if isinstance(namespace, dict):
        namespace = namespace.get("NAMED", "")
    return f"{namespace}::{name}"


def _named(entry: Dict[str, Any]) -> Tuple[str, Any]:
    """facet's ``Named<T>`` in JSON: ``{name: [value, doc]}``."""
    ((name, value_and_doc),) = entry.items()
    return name, value_and_doc[0]


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.at = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.at + n > len(self.data):
            raise CodecError(f"the bytes end early (need {n} at offset {self.at})")
        chunk = bytes(self.data[self.at:self.at + n])
        self.at += n
        return chunk

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]


class WorkvoiceTypes:
    """The FFI's types, read from a facet type registry (``workvoice_types.json``)."""

    def __init__(self, registry: Dict[str, Any]) -> None:
        self.registry = registry

    @classmethod
    def load(cls, path: str | None = None) -> "WorkvoiceTypes":
        if path is None:
            path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "workvoice_types.json")
        with open(path, encoding="utf-8") as f:
            return cls(json.load(f))

    # Public API -------------------------------------------------------------------------------

    def encode(self, type_name: str, value: Any) -> bytes:
        out = bytearray()
        self._encode(self._format_of(type_name), value, out, type_name)
        return bytes(out)

    def decode(self, type_name: str, data: bytes) -> Any:
        reader = _Reader(data)
        return self._decode(self._format_of(type_name), reader)

    def decode_seq(self, type_name: str, data: bytes) -> List[Any]:
        """Decode a ``Vec<type_name>`` (e.g. the ``Vec<ShellRequest>`` that update returns)."""
        return self._decode({"SEQ": {"TYPENAME": {"namespace": "ROOT", "name": type_name}}},
                            _Reader(data))

    def variants(self, type_name: str) -> List[str]:
        container = self.registry[type_name]
        if "ENUM" not in container:
            raise CodecError(f"{type_name} is not an enum")
        return [_named(v)[0] for _, v in sorted(container["ENUM"][0].items(), key=lambda kv: int(kv[0]))]

    # Internals --------------------------------------------------------------------------------

    def _format_of(self, type_name: str) -> Dict[str, Any]:
        if type_name not in self.registry:
            raise CodecError(f"unknown type {type_name}")
        return {"TYPENAME": {"namespace": "ROOT", "name": type_name}}

    def _encode(self, fmt: Any, value: Any, out: bytearray, where: str) -> None:
        if isinstance(fmt, str):
            self._encode_primitive(fmt, value, out, where)
            return
        ((kind, inner),) = fmt.items()
        if kind == "TYPENAME":
            key = _type_key(inner)
            self._encode_container(key, self.registry[key], value, out)
        elif kind == "OPTION":
            if value is None:
                out.append(0)
            else:
                out.append(1)
                self._encode(inner, value, out, where)
        elif kind in ("SEQ", "SET"):
            if isinstance(value, (bytes, bytearray)) and inner == "U8":
                out += struct.pack("<Q", len(value))
                out += value
                return
            items = list(value)
            out += struct.pack("<Q", len(items))
            for item in items:
                self._encode(inner, item, out, where)
        elif kind == "MAP":
            out += struct.pack("<Q", len(value))
            for k, v in value.items():
                self._encode(inner["KEY"], k, out, where)
                self._encode(inner["VALUE"], v, out, where)
        elif kind == "TUPLE":
            if len(value) != len(inner):
                raise CodecError(f"{where}: expected a tuple of {len(inner)}")
            for f, v in zip(inner, value):
                self._encode(f, v, out, where)
        elif kind == "TUPLEARRAY":
            if len(value) != inner["SIZE"]:
                raise CodecError(f"{where}: expected {inner['SIZE']} items")
            for v in value:
                self._encode(inner["CONTENT"], v, out, where)
        else:
            raise CodecError(f"{where}: unsupported format {kind}")

    def _encode_primitive(self, fmt: str, value: Any, out: bytearray, where: str) -> None:
        try:
            if fmt == "UNIT":
                return
            if fmt == "BOOL":
                if not isinstance(value, bool):
                    raise CodecError(f"{where}: expected a bool, got {value!r}")
                out.append(1 if value else 0)
            elif fmt in _INTS:
                out += struct.pack(_INTS[fmt], value)
            elif fmt in ("I128", "U128"):
                out += int(value).to_bytes(16, "little", signed=fmt == "I128")
            elif fmt == "STR":
                if not isinstance(value, str):
                    raise CodecError(f"{where}: expected a string, got {value!r}")
                data = value.encode("utf-8")
                out += struct.pack("<Q", len(data))
                out += data
            elif fmt in ("BYTES", "UUID"):
                data = bytes(value)
                out += struct.pack("<Q", len(data))
                out += data
            elif fmt == "CHAR":
                out += str(value).encode("utf-8")
            else:
                raise CodecError(f"{where}: unsupported format {fmt}")
        except struct.error as e:
            raise CodecError(f"{where}: {value!r} does not fit {fmt}: {e}") from None

    def _encode_container(self, name: str, container: Dict[str, Any], value: Any,
                          out: bytearray) -> None:
        ((kind, body),) = container.items()
        if kind == "UNITSTRUCT":
            return
        if kind == "NEWTYPESTRUCT":
            self._encode(body[0], value, out, name)
        elif kind == "TUPLESTRUCT":
            self._encode({"TUPLE": body[0]}, value, out, name)
        elif kind == "STRUCT":
            self._encode_fields(name, body[0], value, out)
        elif kind == "ENUM":
            variants = {_named(v)[0]: (int(i), _named(v)[1]) for i, v in body[0].items()}
            if isinstance(value, str):
                variant, payload = value, None
            elif isinstance(value, dict) and len(value) == 1:
                ((variant, payload),) = value.items()
            else:
                raise CodecError(f"{name}: expected \"Variant\" or {{\"Variant\": payload}}, got {value!r}")
            if variant not in variants:
                raise CodecError(f"{name} has no variant {variant} (it has {', '.join(variants)})")
            index, vformat = variants[variant]
            out += struct.pack("<I", index)
            where = f"{name}::{variant}"
            if vformat == "UNIT":
                return
            ((vkind, vbody),) = vformat.items()
            if vkind == "NEWTYPE":
                self._encode(vbody, payload, out, where)
            elif vkind == "TUPLE":
                self._encode({"TUPLE": vbody}, payload, out, where)
            elif vkind == "STRUCT":
                self._encode_fields(where, vbody, payload, out)
            else:
                raise CodecError(f"{where}: unsupported variant format {vkind}")
        else:
            raise CodecError(f"{name}: unsupported container {kind}")

    def _encode_fields(self, where: str, fields: List[Any], value: Any, out: bytearray) -> None:
        if not isinstance(value, dict):
            raise CodecError(f"{where}: expected a dict of fields, got {value!r}")
        names = [_named(f)[0] for f in fields]
        extra = set(value) - set(names)
        if extra:
            raise CodecError(f"{where} has no field(s) {', '.join(sorted(extra))}")
        for field in fields:
            fname, ffmt = _named(field)
            if fname not in value:
                raise CodecError(f"{where}: missing field {fname}")
            self._encode(ffmt, value[fname], out, f"{where}.{fname}")

    def _decode(self, fmt: Any, r: _Reader) -> Any:
        if isinstance(fmt, str):
            return self._decode_primitive(fmt, r)
        ((kind, inner),) = fmt.items()
        if kind == "TYPENAME":
            key = _type_key(inner)
            return self._decode_container(key, self.registry[key], r)
        if kind == "OPTION":
            tag = r.unpack("<B")
            if tag == 0:
                return None
            if tag != 1:
                raise CodecError(f"invalid option tag {tag}")
            return self._decode(inner, r)
        if kind in ("SEQ", "SET"):
            n = r.unpack("<Q")
            if inner == "U8":
                return r.take(n)
            if n > len(r.data) - r.at:
                raise CodecError(f"a sequence of {n} items cannot fit in the bytes left")
            return [self._decode(inner, r) for _ in range(n)]
        if kind == "MAP":
            n = r.unpack("<Q")
            return {self._decode(inner["KEY"], r): self._decode(inner["VALUE"], r) for _ in range(n)}
        if kind == "TUPLE":
            return [self._decode(f, r) for f in inner]
        if kind == "TUPLEARRAY":
            return [self._decode(inner["CONTENT"], r) for _ in range(inner["SIZE"])]
        raise CodecError(f"unsupported format {kind}")

    def _decode_primitive(self, fmt: str, r: _Reader) -> Any:
        if fmt == "UNIT":
            return None
        if fmt == "BOOL":
            b = r.unpack("<B")
            if b > 1:
                raise CodecError(f"invalid bool {b}")
            return b == 1
        if fmt in _INTS:
            return r.unpack(_INTS[fmt])
        if fmt in ("I128", "U128"):
            return int.from_bytes(r.take(16), "little", signed=fmt == "I128")
        if fmt == "STR":
            try:
                return r.take(r.unpack("<Q")).decode("utf-8")
            except UnicodeDecodeError as e:
                raise CodecError(f"invalid UTF-8: {e}") from None
        if fmt in ("BYTES", "UUID"):
            return r.take(r.unpack("<Q"))
        if fmt == "CHAR":
            first = r.take(1)[0]
            width = 1 if first < 0x80 else 2 if first < 0xE0 else 3 if first < 0xF0 else 4
            return (bytes([first]) + r.take(width - 1)).decode("utf-8")
        raise CodecError(f"unsupported format {fmt}")

    def _decode_container(self, name: str, container: Dict[str, Any], r: _Reader) -> Any:
        ((kind, body),) = container.items()
        if kind == "UNITSTRUCT":
            return {}
        if kind == "NEWTYPESTRUCT":
            return self._decode(body[0], r)
        if kind == "TUPLESTRUCT":
            return [self._decode(f, r) for f in body[0]]
        if kind == "STRUCT":
            return {_named(f)[0]: self._decode(_named(f)[1], r) for f in body[0]}
        if kind == "ENUM":
            index = r.unpack("<I")
            entry = body[0].get(str(index))
            if entry is None:
                raise CodecError(f"{name} has no variant with index {index}")
            variant, vformat = _named(entry)
            if vformat == "UNIT":
                return variant
            ((vkind, vbody),) = vformat.items()
            if vkind == "NEWTYPE":
                return {variant: self._decode(vbody, r)}
            if vkind == "TUPLE":
                return {variant: [self._decode(f, r) for f in vbody]}
            if vkind == "STRUCT":
                return {variant: {_named(f)[0]: self._decode(_named(f)[1], r) for f in vbody}}
            raise CodecError(f"{name}::{variant}: unsupported variant format {vkind}")
        raise CodecError(f"{name}: unsupported container {kind}")
