"""Add-on preferences (``bl_idname = __package__`` so it works as extension and legacy add-on):
device, weights integrity, dependency status and installer."""

from __future__ import annotations

from typing import Any

import bpy

from . import deps

_install: dict[str, Any] = {"proc": None, "log": []}


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
        prefs.weights_status = "; ".join(bad) if bad else f"{len(manifests)} weight files verified"
        if bad:
            self.report({"ERROR"}, prefs.weights_status)
            return {"CANCELLED"}
        self.report({"INFO"}, prefs.weights_status)
        return {"FINISHED"}


class MOODRIG_OT_install_dependencies(bpy.types.Operator):
    """Install torch, numpy, OpenCV and safetensors into moodrig's own folder (needs online access)"""

    bl_idname = "moodrig.install_dependencies"
    bl_label = "Install Dependencies"

    _timer: Any = None

    def execute(self, context: bpy.types.Context) -> set[str]:
        if _install["proc"] is not None:
            self.report({"WARNING"}, "An install is already running")
            return {"CANCELLED"}
        try:
            _install["proc"] = deps.start_install()
        except (PermissionError, OSError) as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        _install["log"] = []
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.5, window=context.window)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context: bpy.types.Context, event: Any) -> set[str]:
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        proc = _install["proc"]
        if proc.poll() is None:
            return {"RUNNING_MODAL"}
        context.window_manager.event_timer_remove(self._timer)
        _install["log"] = (proc.stdout.read() if proc.stdout else "").splitlines()[-5:]
        _install["proc"] = None
        if proc.returncode != 0:
            self.report({"ERROR"}, "Dependency install failed: " + " | ".join(_install["log"]))
            return {"CANCELLED"}
        deps.add_to_path()
        self.report({"INFO"}, "Dependencies installed; restart Blender if torch was already imported")
        return {"FINISHED"}


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

    def draw(self, context: bpy.types.Context) -> None:
        layout = self.layout
        layout.prop(self, "device")
        box = layout.box()
        box.label(text=f"Weights: {self.weights_status}", icon="LOCKED")
        box.operator("moodrig.verify_weights", icon="CHECKMARK")
        box = layout.box()
        box.label(text="Dependencies", icon="PACKAGE")
        for module, ok in deps.status().items():
            box.label(text=f"{deps.MODULES[module]}: {'installed' if ok else 'missing'}",
                      icon="CHECKMARK" if ok else "ERROR")
        row = box.row()
        row.enabled = deps.online_access_allowed() and _install["proc"] is None
        row.operator("moodrig.install_dependencies", icon="IMPORT")
        if not deps.online_access_allowed():
            box.label(text="Online access is off (Preferences → System → Network)", icon="INFO")
        box.label(text=f"Folder: {deps.deps_folder()}")
        for line in _install["log"]:
            box.label(text=line)


_classes = (MOODRIG_OT_verify_weights, MOODRIG_OT_install_dependencies, MOODRIG_AP_preferences)
_register, _unregister = bpy.utils.register_classes_factory(_classes)


def register() -> None:
    deps.add_to_path()
    _register()


def unregister() -> None:
    _unregister()
