"""Add-on preferences (``bl_idname = __package__`` so it works as extension and legacy add-on):
device, weights integrity, dependency status and the installer (PyTorch build, online or from
a folder, progress, Cancel, the result and its log)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import bpy

from . import deps, torch_builds


class MOODRIG_OT_verify_weights(bpy.types.Operator):
    """Check every shipped weight file against its manifest (size and sha256)"""

    bl_idname = "moodrig.verify_weights"
    bl_label = "Verify Weights"

    def execute(self, context: bpy.types.Context) -> set[str]:
        from .core.errors import WeightsError
        from .core.paths import weights_dir

        manifests = sorted(weights_dir().rglob("*.manifest.json"))
        try:
            from .core.weights import verify_file
        except ImportError as exc:
            self.report({"ERROR"}, f"Dependencies missing ({exc.name}); install them first")
            return {"CANCELLED"}
        bad = []
        for manifest in manifests:
            try:
                verify_file(manifest)
            except WeightsError as exc:
                bad.append(str(exc))
        prefs = context.preferences.addons[__package__].preferences
        when = time.strftime("%H:%M:%S")
        result = "; ".join(bad) if bad else f"all {len(manifests)} weight files are intact"
        prefs.weights_status = f"{result} (checked {when})"
        prefs.weights_state = "bad" if bad else "ok"
        _show_result(context, result, ok=not bad)
        if bad:
            self.report({"ERROR"}, result)
            return {"CANCELLED"}
        self.report({"INFO"}, result)
        return {"FINISHED"}


def _show_result(context: bpy.types.Context, text: str, ok: bool) -> None:
    """A popup where the button was pressed (the preferences window has no status bar for
    the report), and the preferences redrawn so the line under the button changes now."""

    def draw(menu: Any, _context: Any) -> None:
        for line in _wrap(text, 60):
            menu.layout.label(text=line)

    if context.window is not None and not bpy.app.background:
        context.window_manager.popup_menu(
            draw, title="Verify Weights", icon="CHECKMARK" if ok else "ERROR"
        )
    for window in context.window_manager.windows:
        for area in window.screen.areas:
            if area.type == "PREFERENCES":
                area.tag_redraw()


def _torch_build(context: bpy.types.Context) -> str:
    """The build chosen in the preferences (the default when moodrig was registered by a
    script, without preferences)."""
    addon = context.preferences.addons.get(__package__ or "moodrig")
    return addon.preferences.torch_build if addon else torch_builds.default_build()


def _start(op: bpy.types.Operator, context: bpy.types.Context, folder: Path | None) -> set[str]:
    try:
        job = deps.start_install(_torch_build(context), folder)
    except (PermissionError, OSError, RuntimeError) as exc:
        op.report({"ERROR"}, str(exc))
        return {"CANCELLED"}
    op.report(
        {"INFO"}, f"Installing the dependencies; progress in the preferences (log: {job.log_path})"
    )
    return {"FINISHED"}


class MOODRIG_OT_install_dependencies(bpy.types.Operator):
    """Download and install PyTorch (the build chosen above), OpenCV, safetensors and PyYAML
    into moodrig's own folder (needs online access)"""

    bl_idname = "moodrig.install_dependencies"
    bl_label = "Install Dependencies"

    def execute(self, context: bpy.types.Context) -> set[str]:
        return _start(self, context, None)


class MOODRIG_OT_install_dependencies_from_folder(bpy.types.Operator):
    """Install the dependencies from a folder of wheels (made once with `make wheelhouse`),
    with no network"""

    bl_idname = "moodrig.install_dependencies_from_folder"
    bl_label = "Install from Folder…"

    directory: bpy.props.StringProperty(subtype="DIR_PATH")  # type: ignore[valid-type]
    filter_folder: bpy.props.BoolProperty(  # type: ignore[valid-type]
        default=True, options={"HIDDEN"}
    )

    def invoke(self, context: bpy.types.Context, event: Any) -> set[str]:
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context: bpy.types.Context) -> set[str]:
        if not self.directory:
            self.report({"ERROR"}, "Pick the folder that holds the wheels")
            return {"CANCELLED"}
        return _start(self, context, Path(bpy.path.abspath(self.directory)))


class MOODRIG_OT_cancel_dependency_install(bpy.types.Operator):
    """Stop the running install; nothing of it is kept"""

    bl_idname = "moodrig.cancel_dependency_install"
    bl_label = "Cancel"

    def execute(self, context: bpy.types.Context) -> set[str]:
        if not deps.cancel_install():
            self.report({"WARNING"}, "No install is running")
            return {"CANCELLED"}
        return {"FINISHED"}


class MOODRIG_OT_open_dependency_log(bpy.types.Operator):
    """Open the full pip log of the last install"""

    bl_idname = "moodrig.open_dependency_log"
    bl_label = "Open Log"

    def execute(self, context: bpy.types.Context) -> set[str]:
        job = deps.current()
        path = job.log_path if job else deps.log_path()
        if not path.is_file():
            self.report({"WARNING"}, "No install log yet")
            return {"CANCELLED"}
        bpy.ops.wm.path_open(filepath=str(path))
        return {"FINISHED"}


_BUILD_ITEMS = [(b.key, b.label, b.description) for b in torch_builds.builds_for()]


def chosen_device(context: bpy.types.Context) -> str:
    """The device preference: one setting for every network moodrig runs (the bake request's
    default while the add-on's preferences are not there, as in a bare ``bpy``)."""
    from .core.request import BakeRequest

    addon = context.preferences.addons.get(__package__ or "moodrig")
    return str(addon.preferences.device) if addon is not None else BakeRequest.device


class MOODRIG_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = __package__ or "moodrig"

    device: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Device",
        description="Where the neural networks run",
        items=[
            ("auto", "Automatic", "CUDA, then Apple MPS, then CPU"),
            ("cpu", "CPU", "Always the CPU (deterministic)"),
            ("cuda", "CUDA", "An NVIDIA GPU"),
            ("mps", "Apple MPS", "Apple silicon GPU"),
        ],
        default="auto",
    )
    weights_status: bpy.props.StringProperty(name="Weights", default="not checked yet")  # type: ignore[valid-type]
    weights_state: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="Weights check",
        default="unchecked",
        items=[("unchecked", "Not checked", ""), ("ok", "Intact", ""), ("bad", "Damaged", "")],
    )
    torch_build: bpy.props.EnumProperty(  # type: ignore[valid-type]
        name="PyTorch build",
        description="Which PyTorch Install Dependencies downloads",
        items=_BUILD_ITEMS,
        default=torch_builds.default_build(),
    )

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        layout.prop(self, "device")
        box = layout.box()
        box.operator("moodrig.verify_weights", icon="CHECKMARK")
        icon = {"ok": "CHECKMARK", "bad": "ERROR"}.get(self.weights_state, "LOCKED")
        for line in _wrap(f"Weights: {self.weights_status}", 80):
            box.label(text=line, icon=icon)
            icon = "BLANK1"
        self._draw_dependencies(layout.box())

    def _draw_dependencies(self, box: Any) -> None:
        """What is missing and the install's progress or result first (the box is long and
        the preferences window small), then the build choice and the buttons."""
        box.label(text="Dependencies", icon="PACKAGE")
        job = deps.current()
        if job is not None and job.state == "running":
            row = box.row()
            row.label(text=f"{round(100 * job.fraction)} % · {job.activity}", icon="SORTTIME")
            row.operator("moodrig.cancel_dependency_install", icon="CANCEL")
        elif job is not None:
            icon = "CHECKMARK" if job.state == "done" else "ERROR"
            for line in _wrap(job.message, 80):
                box.label(text=line, icon=icon)
                icon = "BLANK1"
        if job is not None:
            box.operator("moodrig.open_dependency_log", icon="TEXT")
        missing = [deps.MODULES[m] for m, ok in deps.status().items() if not ok]
        if missing:
            box.label(text="Missing: " + ", ".join(missing), icon="ERROR")
        else:
            box.label(text="All installed", icon="CHECKMARK")
        box.prop(self, "torch_build")
        deps.start_detection()
        rec = deps.recommendation()
        if rec is None:
            box.label(text="Looking for a GPU…", icon="TIME")
        else:
            label = torch_builds.build(rec.key).label
            box.label(text=f"Recommended here: {label} ({rec.reason})", icon="INFO")
        if job is None or job.state != "running":
            row = box.row()
            online = row.row()
            online.enabled = deps.online_access_allowed()
            online.operator("moodrig.install_dependencies", icon="IMPORT")
            row.operator("moodrig.install_dependencies_from_folder", icon="FILE_FOLDER")
            if not deps.online_access_allowed():
                box.label(text="Online access is off (Preferences → System → Network)", icon="INFO")
        box.label(text=f"Folder: {deps.deps_folder()}")


def _wrap(text: str, width: int) -> list[str]:
    """Labels do not wrap: split a sentence into lines of at most ``width`` characters."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


_classes = (
    MOODRIG_OT_verify_weights,
    MOODRIG_OT_install_dependencies,
    MOODRIG_OT_install_dependencies_from_folder,
    MOODRIG_OT_cancel_dependency_install,
    MOODRIG_OT_open_dependency_log,
    MOODRIG_AP_preferences,
)
_register, _unregister = bpy.utils.register_classes_factory(_classes)


def register() -> None:
    deps.add_to_path()
    _register()


def unregister() -> None:
    deps.stop()
    _unregister()
