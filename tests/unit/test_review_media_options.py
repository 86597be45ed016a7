"""Review-media settings: defaults that need no configuring, overrides from onepiece.toml."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from onepiece.config import Settings, load_config
from onepiece.services.review_media.options import DISPLAY_REFERRED, options_from_settings


def test_defaults_use_ocios_built_in_studio_config_and_scene_linear_exrs() -> None:
    options = options_from_settings(Settings())
    assert options.ocio_config == "ocio://studio-config-latest"
    assert (options.display, options.view) == (None, None)  # the config's defaults
    assert options.colorspace_for(".EXR") == "scene_linear"
    assert options.colorspace_for("png") == DISPLAY_REFERRED
    assert options.colorspace_for("weird") == DISPLAY_REFERRED
    assert (options.thumbnail_width, options.thumbnail_format) == (480, "jpg")


def test_a_workspace_file_sets_config_view_and_colour_spaces(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (isolated_env / "work" / "onepiece.toml").write_text(
        "[review_media]\n"
        'ocio_config = "/studio/config.ocio"\n'
        'view = "Un-tone-mapped"\n'
        "thumbnail_width = 320\n"
        "[review_media.input_colorspaces]\n"
        'DPX = "ACEScct"\n',
        encoding="utf-8",
    )
    options = options_from_settings(load_config().settings)
    assert options.ocio_config == "/studio/config.ocio"
    assert options.view == "Un-tone-mapped"
    assert options.thumbnail_width == 320
    assert options.colorspace_for("dpx") == "ACEScct"


def test_nonsense_values_are_refused() -> None:
    with pytest.raises(ValidationError):
        Settings.model_validate({"review_media": {"thumbnail_format": "gif"}})
    with pytest.raises(ValidationError):
        Settings.model_validate({"review_media": {"workers": 0}})
