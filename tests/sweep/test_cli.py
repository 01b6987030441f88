"""The command line: transforms listing, sweep with progress, report, and error messages."""

import pytest

from fastinv.cli import main


def test_transforms_lists_registry_with_units_and_grids(capsys):
    assert main(["transforms"]) == 0
    out = capsys.readouterr().out
    for name in ("translateX", "rotate", "scale_zoom_in", "posterize", "solarize"):
        assert name in out
    assert "fraction of width" in out and "-27, 45, -54" in out


def test_sweep_then_report(tmp_path, image_folder, capsys):
    run = tmp_path / "run"
    code = main(
        [
            "sweep",
            "--data",
            str(image_folder),
            "--model",
            "untrained=test_byobnet",
            "--model",
            "other=test_byobnet@" + str(_checkpoint(tmp_path)),
            "--transforms",
            "rotate,solarize",
            "--samples",
            "6",
            "--image-size",
            "32",
            "--out",
            str(run),
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert "fastinv report" in captured.out and "embedding" in captured.err  # the tqdm bar
    assert main(["report", str(run)]) == 0
    page = (run / "report" / "index.html").read_text()
    assert page.count("<img") == 3  # overview + one per transform
    assert "Invariance gap against untrained" in page
    assert (run / "report" / "invariance_cos_rotate.png").stat().st_size > 1000


def _checkpoint(tmp_path):
    import timm
    import torch

    torch.manual_seed(5)
    path = tmp_path / "other.pth"
    torch.save(timm.create_model("test_byobnet").state_dict(), path)
    return path


@pytest.mark.parametrize(
    "argv, message",
    [
        (["sweep", "--transforms", "twist"], "unknown transform or preset 'twist'"),
        (["sweep", "--model", "nonet", "--transforms", "rotate"], "unknown model 'nonet'"),
        (["sweep", "--magnitudes", "lots"], "expected 'paper', a count"),
        (["report", "/nonexistent/run"], "holds no finished sweep tables"),
    ],
)
def test_errors_are_one_clear_line(tmp_path, image_folder, capsys, argv, message):
    if argv[0] == "sweep":
        argv = argv + [
            "--data",
            str(image_folder),
            "--out",
            str(tmp_path / "run"),
            "--image-size",
            "32",
        ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_help_reads_well(capsys):
    with pytest.raises(SystemExit):
        main(["sweep", "--help"])
    out = capsys.readouterr().out
    assert "--magnitudes" in out and "Rerun the same command" in out
