"""The face region in the Image Editor: a preview overlay, and dragging the feature points.

The overlay (a ``SpaceImageEditor`` draw handler, switched by ``scene.moodrig.show_face_region``)
draws the region's rectangle and the 7 labelled feature points over the face texture of the
sidebar's face mesh. *Edit Points* (``MOODRIG_OT_edit_feature_points``) is a modal operator in
an Image Editor showing that texture: drag a point with the left mouse button; Enter or a right
click keeps the points (marked confirmed, so the bake uses them), Esc puts the old ones back.
Zooming and panning keep working while it runs.

Drawing uses only the ``gpu`` module's uniform-colour shader with triangles, and ``blf`` for the
labels, so it runs the same in Blender 3.4 and 5.x.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import bpy

from .core.errors import InputError

PICK_RADIUS = 14.0
"""How close (screen pixels) a click must be to a point to grab it."""
_REGION_COLOUR = (1.0, 0.82, 0.2, 0.95)
_POINT_COLOUR = (0.25, 0.85, 1.0, 1.0)
_ACTIVE_COLOUR = (1.0, 0.45, 0.15, 1.0)
_UNCONFIRMED_COLOUR = (0.75, 0.75, 0.75, 1.0)
_OUTLINE = (0.0, 0.0, 0.0, 0.9)

_preview_handle: Any = None
_editing: dict[str, Any] = {}
"""While Edit Points runs: the area it edits in (pointer) and what to draw there."""


# ----------------------------------------------------------------------------- drawing


def _shader() -> Any:
    import gpu

    for name in ("UNIFORM_COLOR", "2D_UNIFORM_COLOR"):
        try:
            return gpu.shader.from_builtin(name)
        except (ValueError, TypeError):
            continue
    raise RuntimeError("no uniform-colour shader in this Blender")


def _tris(shader: Any, coords: list[tuple[float, float]], colour: Sequence[float]) -> None:
    from gpu_extras.batch import batch_for_shader

    if not coords:
        return
    batch = batch_for_shader(shader, "TRIS", {"pos": coords})
    shader.bind()
    shader.uniform_float("color", tuple(colour))
    batch.draw(shader)


def _quad(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y0), (x1, y1), (x0, y1)]


def _segment(
    p: tuple[float, float], q: tuple[float, float], width: float
) -> list[tuple[float, float]]:
    dx, dy = q[0] - p[0], q[1] - p[1]
    length = math.hypot(dx, dy) or 1.0
    nx, ny = -dy / length * width / 2, dx / length * width / 2
    a, b = (p[0] + nx, p[1] + ny), (q[0] + nx, q[1] + ny)
    c, d = (q[0] - nx, q[1] - ny), (p[0] - nx, p[1] - ny)
    return [a, b, c, a, c, d]


def _label(x: float, y: float, text: str) -> None:
    """``text`` beside the point at (x, y): the character's right side labelled to the left,
    its left side to the right, a middle point below (so the mouth's three labels never
    overlap)."""
    import blf

    font = 0
    try:
        blf.size(font, 12)
    except TypeError:  # Blender 3.x: size(font, size, dpi)
        blf.size(font, 12, 72)
    w, h = blf.dimensions(font, text)
    if text.endswith("_r"):
        x, y = x - 10 - w, y - h / 2
    elif text.endswith("_l"):
        x, y = x + 10, y - h / 2
    else:
        x, y = x - w / 2, y - 10 - h
    blf.enable(font, blf.SHADOW)
    blf.shadow(font, 3, 0.0, 0.0, 0.0, 1.0)
    blf.color(font, 1.0, 1.0, 1.0, 1.0)
    blf.position(font, x, y, 0)
    blf.draw(font, text)
    blf.disable(font, blf.SHADOW)


def draw_overlay(
    view2d: Any,
    corners_uv: Sequence[tuple[float, float]],
    points_uv: Sequence[tuple[float, float]] | None,
    labels: Sequence[str],
    active: int | None,
    confirmed: bool,
) -> None:
    """The region's rectangle (UV corners: bottom-left, top-right) and the points (UV)."""
    import gpu

    shader = _shader()
    gpu.state.blend_set("ALPHA")
    (u0, v0), (u1, v1) = corners_uv
    x0, y0 = view2d.view_to_region(u0, v0, clip=False)
    x1, y1 = view2d.view_to_region(u1, v1, clip=False)
    frame = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    edges: list[tuple[float, float]] = []
    for i in range(4):
        edges += _segment(frame[i], frame[(i + 1) % 4], 2.0)
    _tris(shader, edges, _REGION_COLOUR)
    if points_uv is not None:
        screen = [view2d.view_to_region(u, v, clip=False) for u, v in points_uv]
        for i, (x, y) in enumerate(screen):
            fill = (
                _ACTIVE_COLOUR
                if i == active
                else (_POINT_COLOUR if confirmed else _UNCONFIRMED_COLOUR)
            )
            _tris(shader, _quad(x - 6, y - 6, x + 6, y + 6), _OUTLINE)
            _tris(shader, _quad(x - 4, y - 4, x + 4, y + 4), fill)
        for (x, y), text in zip(screen, labels, strict=True):
            _label(x, y, text)
    gpu.state.blend_set("NONE")


def _face_images(face: Any) -> list[Any]:
    """The face's base texture and its baked image sequence (the overlay shows on both)."""
    from .bake import base_image, find_face_texture

    images = []
    try:
        images.append(base_image(face))
        images.append(find_face_texture(face)[1].image)
    except (InputError, StopIteration):
        pass
    return [i for i in images if i is not None]


def _draw_preview() -> None:
    context = bpy.context
    space, area = context.space_data, context.area
    face = context.scene.moodrig.face
    if face is None or space is None or space.image is None or area is None:
        return
    if _editing.get("area") == area.as_pointer():
        _draw_editing(context)
        return
    if not context.scene.moodrig.show_face_region or space.image not in _face_images(face):
        return
    try:
        overlay = _stored_overlay(face, space.image)
    except (InputError, ImportError):
        return
    draw_overlay(context.region.view2d, *overlay)


def _stored_overlay(face: Any, image: Any) -> tuple[Any, ...]:
    from .core.appearance.align import FEATURE_NAMES
    from .core.appearance.setup import region_pixels_to_uv
    from .face_region import region_of, stored_points

    region = region_of(face)
    w, h = image.size
    corners = [(region.u0, region.v0), (region.u1, region.v1)]
    stored = stored_points(face)
    if stored is None or w == 0 or h == 0:
        return corners, None, FEATURE_NAMES, None, False
    rect = region.pixels(w, h)
    uv = region_pixels_to_uv(stored.in_region(rect.width, rect.height), region, w, h)
    return corners, [tuple(p) for p in uv], FEATURE_NAMES, None, face.moodrig_face.points_confirmed


def _draw_editing(context: Any) -> None:
    from .core.appearance.align import FEATURE_NAMES

    session: PointSession = _editing["session"]
    draw_overlay(
        context.region.view2d,
        session.corners_uv(),
        session.points_uv(),
        FEATURE_NAMES,
        session.active,
        True,
    )


def show_preview(on: bool) -> None:
    """Add (or remove) the Image Editor overlay."""
    global _preview_handle
    if on and _preview_handle is None:
        _preview_handle = bpy.types.SpaceImageEditor.draw_handler_add(
            _draw_preview, (), "WINDOW", "POST_PIXEL"
        )
    elif not on and _preview_handle is not None and not _editing:
        bpy.types.SpaceImageEditor.draw_handler_remove(_preview_handle, "WINDOW")
        _preview_handle = None


@bpy.app.handlers.persistent
def _sync_preview(_dummy: Any = None) -> None:
    """After a .blend is opened: the overlay follows its saved setting."""
    scene = bpy.context.scene
    show_preview(bool(scene is not None and scene.moodrig.show_face_region))


# ----------------------------------------------------------------------------- editing


class PointSession:
    """The points being dragged (region pixels), independent of any drawing or window."""

    def __init__(
        self, points: Any, region: Any, width: int, height: int, mirrored: bool = False
    ) -> None:
        import numpy as np

        self.region = region
        self.mirrored = mirrored
        """The texture shows the face mirrored: the character's right eye on the right."""
        self.width, self.height = width, height
        self.rect = region.pixels(width, height)
        self.original = np.array(points, dtype=np.float64)
        self.points = self.original.copy()
        self.active: int | None = None

    def corners_uv(self) -> list[tuple[float, float]]:
        return [(self.region.u0, self.region.v0), (self.region.u1, self.region.v1)]

    def points_uv(self) -> list[tuple[float, float]]:
        from .core.appearance.setup import region_pixels_to_uv

        uv = region_pixels_to_uv(self.points, self.region, self.width, self.height)
        return [(float(u), float(v)) for u, v in uv]

    def grab(
        self,
        screen_points: Sequence[tuple[float, float]],
        mouse: tuple[float, float],
        radius: float = PICK_RADIUS,
    ) -> int | None:
        """Start dragging the point nearest to ``mouse`` (screen pixels) within ``radius``."""
        best, best_d = None, radius
        for i, (x, y) in enumerate(screen_points):
            d = math.hypot(x - mouse[0], y - mouse[1])
            if d <= best_d:
                best, best_d = i, d
        self.active = best
        return best

    def drag_to(self, uv: tuple[float, float]) -> None:
        """Move the grabbed point to ``uv`` (kept inside the region)."""
        from .core.appearance.setup import uv_to_region_pixels

        if self.active is None:
            return
        ((x, y),) = uv_to_region_pixels([uv], self.region, self.width, self.height)
        self.points[self.active] = (
            min(max(x, 0.0), self.rect.width),
            min(max(y, 0.0), self.rect.height),
        )

    def release(self) -> None:
        self.active = None

    def confirm(self, face: Any) -> None:
        """Check the layout and store the points on ``face`` as confirmed."""
        from .core.appearance.align import check_features
        from .face_region import store_points

        check_features(self.points, self.rect.width, self.rect.height, self.mirrored)
        store_points(face, self.points, (self.rect.width, self.rect.height), confirmed=True)


def start_session(face: Any) -> tuple[PointSession, Any]:
    """A session on the face's stored points (or a typical layout when it has none) and the
    base texture image it is drawn on."""
    import numpy as np

    from .bake import base_image
    from .core.appearance.align import CANONICAL_POINTS
    from .core.appearance.orientation import UPRIGHT
    from .face_region import face_orientation, region_of, stored_points

    image = base_image(face)
    w, h = image.size
    if w == 0 or h == 0:
        raise InputError(
            image.filepath or image.name, "the face texture has no pixels (missing file?)"
        )
    region = region_of(face)
    rect = region.pixels(w, h)
    lies = face_orientation(face, region)[0] or UPRIGHT
    stored = stored_points(face)
    if stored is not None:
        points = stored.in_region(rect.width, rect.height)
    else:  # the typical layout, drawn the way the face lies in the region
        view = (rect.height, rect.width) if lies.turns % 2 else (rect.width, rect.height)
        points = lies.from_view(CANONICAL_POINTS * np.array(view), rect.width, rect.height)
    return PointSession(points, region, w, h, lies.mirrored), image


def _image_editor(context: Any) -> tuple[Any, Any]:
    """(area, its main region) of the Image Editor to edit in: the current one, else the
    largest in the window."""
    areas = (
        [context.area] if context.area is not None and context.area.type == "IMAGE_EDITOR" else []
    )
    if not areas and context.screen is not None:
        areas = sorted(
            (a for a in context.screen.areas if a.type == "IMAGE_EDITOR"),
            key=lambda a: a.width * a.height,
            reverse=True,
        )
    if not areas:
        raise InputError(
            None, "open an Image Editor (e.g. the UV Editing workspace) to edit the points"
        )
    area = areas[0]
    return area, next(r for r in area.regions if r.type == "WINDOW")


class MOODRIG_OT_edit_feature_points(bpy.types.Operator):
    bl_idname = "moodrig.edit_feature_points"
    bl_label = "Edit Points"
    bl_description = (
        "Drag the feature points over the face texture in the Image Editor; "
        "Enter or right-click keeps them, Esc cancels"
    )
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context: Any) -> bool:
        face = context.scene.moodrig.face
        return face is not None and face.type == "MESH"

    def invoke(self, context: Any, event: Any) -> set[str]:
        from .modal_job import report_error

        if _editing:
            self.report({"WARNING"}, "Edit Points is already running")
            return {"CANCELLED"}
        try:
            face = context.scene.moodrig.face
            area, region = _image_editor(context)
            session, image = start_session(face)
        except Exception as exc:
            return report_error(self, exc)
        area.spaces.active.image = image
        self._face_name = face.name
        self._area, self._region = area, region
        _editing.update(area=area.as_pointer(), session=session)
        show_preview(True)
        area.header_text_set(
            "Edit Points: drag with the left mouse button · Enter / right-click: keep · Esc: cancel"
        )
        area.tag_redraw()
        context.window_manager.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def _inside(self, event: Any) -> tuple[float, float] | None:
        r = self._region
        x, y = event.mouse_x - r.x, event.mouse_y - r.y
        return (x, y) if 0 <= x < r.width and 0 <= y < r.height else None

    def _end(self) -> None:
        _editing.clear()
        self._area.header_text_set(None)
        self._area.tag_redraw()
        show_preview(bpy.context.scene.moodrig.show_face_region)

    def modal(self, context: Any, event: Any) -> set[str]:
        session: PointSession = _editing["session"]
        face = bpy.data.objects.get(self._face_name)
        if face is None:
            self._end()
            return {"CANCELLED"}
        mouse = self._inside(event)
        view2d = self._region.view2d
        moving = event.type in {"MOUSEMOVE", "INBETWEEN_MOUSEMOVE"}
        if moving and session.active is not None and mouse is not None:
            session.drag_to(view2d.region_to_view(*mouse))
            self._area.tag_redraw()
            return {"RUNNING_MODAL"}
        if event.type == "LEFTMOUSE" and mouse is not None:
            if event.value == "PRESS":
                screen = [view2d.view_to_region(u, v, clip=False) for u, v in session.points_uv()]
                if session.grab(screen, mouse) is not None:
                    self._area.tag_redraw()
                    return {"RUNNING_MODAL"}
            elif event.value == "RELEASE" and session.active is not None:
                session.release()
                self._area.tag_redraw()
                return {"RUNNING_MODAL"}
        if event.type in {"RET", "NUMPAD_ENTER"} or (
            event.type == "RIGHTMOUSE" and event.value == "PRESS"
        ):
            try:
                session.confirm(face)
            except InputError as exc:
                self.report({"ERROR"}, str(exc))
                return {"RUNNING_MODAL"}
            self._end()
            self.report({"INFO"}, "Feature points kept")
            return {"FINISHED"}
        if event.type == "ESC":
            self._end()
            return {"CANCELLED"}
        return {"PASS_THROUGH"}


_classes = (MOODRIG_OT_edit_feature_points,)
_register, _unregister = bpy.utils.register_classes_factory(_classes)


def register() -> None:
    _register()
    bpy.app.handlers.load_post.append(_sync_preview)


def unregister() -> None:
    if _sync_preview in bpy.app.handlers.load_post:
        bpy.app.handlers.load_post.remove(_sync_preview)
    _editing.clear()
    show_preview(False)
    _unregister()
