"""Golden digests of the painter and the content drawing: any change to one output bit fails.

The painter is ground truth for training and evaluation, and the content drawing is what the
transfer model was trained to read, so both must stay bit-identical through refactors. Each
digest is the sha256 of the float32 bytes of a fixed list of outputs (styles seeded, vectors
fixed) at 64, 256 and 512 px; they were recorded from the painter as it is, and held with
NumPy's SIMD paths limited to SSE3, AVX2 and AVX-512 alike.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from moodrig.core.detail import detail_from_expression, detail_vector
from moodrig.core.expression import N_EXPRESSION, expression_vector
from moodrig.core.painter import DEFAULT_STYLE, FaceStyle, paint_detail, paint_face, random_style
from moodrig.core.transfer.content import draw_content, draw_contents

STYLES: dict[str, FaceStyle] = {
    "default": DEFAULT_STYLE,
    **{f"seed{k}": random_style(np.random.default_rng(k)) for k in (0, 1, 7)},
}
EXPRESSIONS = [
    np.zeros(N_EXPRESSION, np.float32),
    expression_vector(jaw_open=0.4, smile=0.7, brow_raise=0.9, eye_close_l=0.3),
    expression_vector(frown=0.8, brow_furrow=1.0, eye_wide=0.6, eye_close_r=0.45),
    np.ones(N_EXPRESSION, np.float32),
]
DETAILS = [
    detail_vector(smile_l=0.9, frown_r=0.4, jaw_open=0.5),
    detail_vector(brow_raise_r=1.0, eye_close_l=0.6, smile_r=0.3, brow_furrow=0.2),
    detail_from_expression(np.round(np.linspace(0.05, 0.95, N_EXPRESSION) * 20) / 20),
    np.ones(len(detail_vector()), np.float32),
]
SIZES = (64, 256, 512)

FACE: dict[tuple[str, int], str] = {
    ("default", 64): "16ed08acf1b945a93c05c8e0725c18d63e4bd7a1d76559a368c1d18d3dff7fbb",
    ("default", 256): "451d5c518a74d8d86872b49aed55df4b90ec0866b6bf3105e7e86641918a167f",
    ("default", 512): "e2d9bfd0b8e0d68235571c226ad9be038325a39d013b9715e07ecd000fbb27c5",
    ("seed0", 64): "6e4a70183dfc7dad7e550d350e6eddd56aa787ef14c5452970eda0670ec51eb6",
    ("seed0", 256): "3321cf8a03722d714058fc4dad73e5efa91cb008c76e899dbe46332d97fb9f55",
    ("seed0", 512): "e79c7e5bb6f31364e1ab3d0b89f74a4847d11821c8d2629e4c8bed2a735e142d",
    ("seed1", 64): "879196023dde46c0956344ee9dda477cc888e6c8e26fb1330dd034f6f93a50fd",
    ("seed1", 256): "c6fc9eeb6f6b64003e4ac3736994ff6172bde124d82feb752deb977e8f744c68",
    ("seed1", 512): "d24a467f2493cb1bb707c0760e7da505efca50bbbdd13ec34fa8b00acf9b9bcc",
    ("seed7", 64): "e18a1bbcb8dc5e87f64fb671a3910bb5adb175ef53d5e3a990142a3f188da4eb",
    ("seed7", 256): "99f739cfaaaadfa2278e8d272a0039c70ba1e9fe9c25189fa7106db7ccef5a65",
    ("seed7", 512): "6eb8fffce45f4a700b596d19bebc2531b0291f121c39210a6f27d1b3b4fd4d8b",
}
DETAIL: dict[tuple[str, int], str] = {
    ("default", 64): "efafdc3de282bac3f82aceac7e94ebd93c6192680da9f3552eccbe93d3ce29da",
    ("default", 256): "cb832d898cb716cdf1684e2b2b99340ce9d6beb159d881f437ce0cb36477955c",
    ("default", 512): "b8d6d9cc0e7dc7d7403e3bbf732d92cc9afe36d7359e26d2e749b4ea87e1b3a5",
    ("seed0", 64): "18eb4cf1d012a2a0f0de844adb760b307f210d17ea706422799fb4a92b5f4c82",
    ("seed0", 256): "715061222235f0f05cc545015e099e8634770d7e81e170ecc28903fc3b942b33",
    ("seed0", 512): "09ee4a63ef056f9584528850b327f626a1f694d6c849430f612fe5c22bb5f7fc",
    ("seed1", 64): "1fe6432b5675fbfed8a983191513b9f5c943f14259b7f0bf652b228d9e84beed",
    ("seed1", 256): "c3636a289e8f82ffb346df093689d6523948f11d947c79bac664074e1f14fab1",
    ("seed1", 512): "fa9a773ed5c74cbca786407e938cb028b9aea8883e1efe875a7ee4231a4d0ee9",
    ("seed7", 64): "44ac771f187311f95c6014a171763561f71022ed7244dee41023fea3e80b05e0",
    ("seed7", 256): "956f82998b9e466835cbc19d4b64d7ce298b9d50616ae5ffd6e964b63149da6f",
    ("seed7", 512): "f61896494a75a012ee1254146981d2b009e8129cc01f9abb285c3b859aad62d5",
}
CONTENT: dict[int, str] = {
    64: "5ebc66c585d9aecb4319b4ac2ed53fca7370204d642db0f85c3d6063a5726203",
    256: "976eb3f021c840164218e4656b87f10ba805928f69958abf5a019eef1db56352",
    512: "7aad51149b446142efa011d6a650abd4c4425a88b196bc34dbacd3cbec144348",
}


def _digest(images: list[np.ndarray]) -> str:
    h = hashlib.sha256()
    for img in images:
        assert img.dtype == np.float32
        h.update(img.tobytes())
    return h.hexdigest()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("style", sorted(STYLES))
def test_paint_face_digests(style: str, size: int) -> None:
    got = _digest([paint_face(STYLES[style], e, size) for e in EXPRESSIONS])
    assert got == FACE[style, size], f"paint_face({style}, {size} px) changed: {got}"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("style", sorted(STYLES))
def test_paint_detail_digests(style: str, size: int) -> None:
    got = _digest([paint_detail(STYLES[style], d, size) for d in DETAILS])
    assert got == DETAIL[style, size], f"paint_detail({style}, {size} px) changed: {got}"


@pytest.mark.parametrize("size", SIZES)
def test_draw_content_digests(size: int) -> None:
    vectors = [*DETAILS, np.zeros_like(DETAILS[0])]
    drawings = [draw_content(d, size) for d in vectors]
    assert np.array_equal(draw_contents(np.stack(vectors), size), np.stack(drawings))
    got = _digest(drawings)
    assert got == CONTENT[size], f"draw_content({size} px) changed: {got}"
