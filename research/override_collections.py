"""Which Python properties Blender keeps in a library override, in real bpy.

    .venv/bin/python research/override_collections.py [--library-has-settings]

A property group with a vector, a flag and a collection of rows, all marked
``LIBRARY_OVERRIDABLE`` (the collection also ``USE_INSERTION``), on an object saved in a
library with no rows (with ``--library-has-settings``, its vector set there). The object is
linked and overridden in a shot, the values set and three rows added there, the shot saved and
reopened. Prints what came back: nothing when the library's object holds none of the settings;
with them, the plain values and only some of the rows.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import bpy  # noqa: TID251 (a probe in real Blender, outside the package)

OVERRIDABLE = {"LIBRARY_OVERRIDABLE"}


class ProbeRow(bpy.types.PropertyGroup):
    label: bpy.props.StringProperty(override=OVERRIDABLE)  # type: ignore[valid-type]


class ProbeSettings(bpy.types.PropertyGroup):
    rows: bpy.props.CollectionProperty(  # type: ignore[valid-type]
        type=ProbeRow, override={"LIBRARY_OVERRIDABLE", "USE_INSERTION"}
    )
    vec: bpy.props.FloatVectorProperty(size=4, override=OVERRIDABLE)  # type: ignore[valid-type]
    flag: bpy.props.BoolProperty(override=OVERRIDABLE)  # type: ignore[valid-type]


def main() -> None:
    import sys

    folder = Path(tempfile.mkdtemp())
    for cls in (ProbeRow, ProbeSettings):
        bpy.utils.register_class(cls)
    bpy.types.Object.probe = bpy.props.PointerProperty(type=ProbeSettings, override=OVERRIDABLE)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    obj = bpy.data.objects.new("probe", bpy.data.meshes.new("probe"))
    collection = bpy.data.collections.new("C")
    bpy.context.scene.collection.children.link(collection)
    collection.objects.link(obj)
    if "--library-has-settings" in sys.argv:
        obj.probe.vec = (1, 2, 3, 4)
    bpy.ops.wm.save_as_mainfile(filepath=str(folder / "library.blend"))
    bpy.ops.wm.read_factory_settings(use_empty=True)
    with bpy.data.libraries.load(str(folder / "library.blend"), link=True) as (_, into):
        into.collections = ["C"]
    into.collections[0].override_hierarchy_create(bpy.context.scene, bpy.context.view_layer)
    obj = next(o for o in bpy.data.objects if o.library is None)
    obj.probe.vec = (5, 6, 7, 8)
    obj.probe.flag = True
    for label in ("x", "y", "z"):
        obj.probe.rows.add().label = label
    bpy.ops.wm.save_as_mainfile(filepath=str(folder / "shot.blend"))
    bpy.ops.wm.open_mainfile(filepath=str(folder / "shot.blend"))
    obj = next(o for o in bpy.data.objects if o.library is None)
    print(
        f"vector {list(obj.probe.vec)}, flag {obj.probe.flag}, "
        f"rows {[r.label for r in obj.probe.rows]} (3 added)"
    )


if __name__ == "__main__":
    main()
