"""Acquisition parameters and path templates: angles, names, validation, plain dicts."""

from __future__ import annotations

import json

import pytest

from mxgui.core.acquisition import (
    AcquisitionLimits,
    AcquisitionParameters,
    ParameterError,
    PathTemplate,
    run_number_of,
)

# -- angles (docs/domain.md: image i covers [osc_start + i*osc_range, osc_start + (i+1)*osc_range))


@pytest.mark.parametrize("index", [0, 1, 7, 359])
def test_image_ranges_follow_the_oscillation_formula(index):
    params = AcquisitionParameters(osc_start=-12.5, osc_range=0.25, num_images=360)
    start, end = params.image_range(index)
    assert start == pytest.approx(-12.5 + index * 0.25)
    assert end == pytest.approx(-12.5 + (index + 1) * 0.25)


def test_consecutive_images_continue_each_other_and_sweep_the_total_range():
    params = AcquisitionParameters(osc_start=10.0, osc_range=0.1, num_images=3600)
    for i in range(params.num_images - 1):
        assert params.image_range(i)[1] == pytest.approx(params.image_range(i + 1)[0])
    assert params.osc_total_range == pytest.approx(360.0)
    assert params.osc_end == pytest.approx(370.0)
    assert params.image_range(params.num_images - 1)[1] == pytest.approx(params.osc_end)


def test_overlap_moves_each_image_back():
    params = AcquisitionParameters(osc_start=0.0, osc_range=1.0, overlap=0.5, num_images=4)
    assert [params.image_range(i) for i in range(4)] == [
        (0.0, 1.0),
        (0.5, 1.5),
        (1.0, 2.0),
        (1.5, 2.5),
    ]
    assert params.osc_total_range == pytest.approx(2.5)


def test_image_index_outside_the_collection_is_an_error():
    params = AcquisitionParameters(num_images=3)
    with pytest.raises(IndexError, match="outside 0..2"):
        params.image_range(3)
    with pytest.raises(IndexError):
        params.image_range(-1)


def test_start_image_number_is_first_image():
    assert AcquisitionParameters(first_image=11).start_image_number == 11


# -- validation -----------------------------------------------------------------------------


def test_defaults_are_valid():
    AcquisitionParameters().validate(AcquisitionLimits())
    PathTemplate(directory="/data", prefix="lyso").validate(num_images=100)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"num_images": 0}, "num_images: 0 is below the minimum 1"),
        ({"osc_range": -0.1}, "osc_range: -0.1 deg is below the minimum 0 deg"),
        ({"exp_time": -1.0}, "exp_time: -1 s is below the minimum 0 s"),
        ({"energy": 0.0}, "energy: 0 keV must be above 0 keV"),
        ({"resolution": -2.0}, "resolution: -2 A must be above 0 A"),
        ({"detector_distance": 0.0}, "detector_distance: 0 mm must be above 0 mm"),
        ({"first_image": 0}, "first_image: 0 is below the minimum 1"),
        ({"overlap": 0.2, "osc_range": 0.1}, "overlap: 0.2 deg must be below osc_range 0.1 deg"),
        ({"osc_start": float("nan")}, "osc_start: nan is not a finite number"),
        ({"exp_time": float("inf")}, "exp_time: inf is not a finite number"),
    ],
)
def test_bad_values_are_refused_naming_the_field_and_limit(changes, message):
    params = AcquisitionParameters(**changes)
    with pytest.raises(ParameterError) as info:
        params.validate()
    assert message in str(info.value)
    assert message in info.value.problems


LIMITS = AcquisitionLimits(
    exp_time=(0.001, 100.0),
    energy=(5.0, 20.0),
    resolution=(1.0, 10.0),
    detector_distance=(100.0, 1000.0),
)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"exp_time": 0.0001}, "exp_time: 0.0001 s is below the detector's minimum 0.001 s"),
        ({"exp_time": 500.0}, "exp_time: 500 s is above the detector's maximum 100 s"),
        ({"energy": 25.0}, "energy: 25 keV is above the energy's maximum 20 keV"),
        ({"transmission": 120.0}, "transmission: 120 % is above the transmission's maximum 100 %"),
        ({"resolution": 0.8}, "resolution: 0.8 A is below the resolution's minimum 1 A"),
        (
            {"detector_distance": 50.0},
            "detector_distance: 50 mm is below the detector distance's minimum 100 mm",
        ),
    ],
)
def test_limits_from_hardware_are_named_in_the_message(changes, message):
    with pytest.raises(ParameterError) as info:
        AcquisitionParameters(**changes).validate(LIMITS)
    assert info.value.problems == [message]


def test_every_problem_is_reported_at_once():
    params = AcquisitionParameters(num_images=0, exp_time=0.0001, energy=30.0)
    problems = params.problems(LIMITS)
    assert len(problems) == 3
    assert [p.split(":")[0] for p in problems] == ["num_images", "exp_time", "energy"]


def test_no_detector_distance_means_follow_the_resolution():
    AcquisitionParameters(detector_distance=None).validate(LIMITS)


# -- plain dicts -----------------------------------------------------------------------------


def test_parameters_round_trip_through_json():
    params = AcquisitionParameters(
        osc_start=33.0, osc_range=0.2, num_images=900, exp_time=0.02, detector_distance=250.0
    )
    data = json.loads(json.dumps(params.to_dict()))
    assert AcquisitionParameters.from_dict(data) == params
    assert {"osc_start", "osc_range", "num_images", "exp_time", "energy", "transmission"} <= set(
        data
    )


def test_from_dict_converts_integral_numbers_and_takes_defaults():
    params = AcquisitionParameters.from_dict({"num_images": 10.0, "osc_start": 5})
    assert params.num_images == 10 and isinstance(params.num_images, int)
    assert params.osc_start == 5.0 and isinstance(params.osc_start, float)
    assert params.exp_time == AcquisitionParameters().exp_time


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"num_images": 2.5}, "num_images: expected an integer, got 2.5"),
        ({"num_images": True}, "num_images: expected an integer, got True"),
        ({"exp_time": "fast"}, "exp_time: expected a number, got 'fast'"),
        ({"shutterless": 1}, "shutterless: expected true or false, got 1"),
        ({"detector_distance": "far"}, "detector_distance: expected a number or null"),
        ({"osc_strat": 1.0}, "unknown field 'osc_strat'"),
    ],
)
def test_from_dict_names_the_bad_field(data, message):
    with pytest.raises(ParameterError, match=message):
        AcquisitionParameters.from_dict(data)


def test_from_dict_can_ignore_other_task_fields():
    params = AcquisitionParameters.from_dict(
        {"num_images": 5, "prefix": "lyso", "run_number": 2}, strict=False
    )
    assert params.num_images == 5


def test_from_dict_refuses_something_else_than_a_dict():
    with pytest.raises(ParameterError, match="expected a dict, got list"):
        AcquisitionParameters.from_dict([1, 2])


def test_path_template_round_trips():
    path = PathTemplate(directory="/data/x", prefix="lyso", run_number=4, suffix="h5")
    assert PathTemplate.from_dict(json.loads(json.dumps(path.to_dict()))) == path


# -- names ---------------------------------------------------------------------------------


def test_cbf_names():
    path = PathTemplate(directory="/data/mx1234/RAW_DATA", prefix="lyso", run_number=3)
    assert path.image_file_name(7) == "lyso_3_00007.cbf"
    assert path.get_image_file_name() == "lyso_3_%05d.cbf"
    assert path.get_image_path() == "/data/mx1234/RAW_DATA/lyso_3_%05d.cbf"
    assert path.file_names(3) == ["lyso_3_00001.cbf", "lyso_3_00002.cbf", "lyso_3_00003.cbf"]
    assert path.snapshot_file_name(2) == "lyso_3_snapshot_2.png"


def test_start_number_and_precision():
    path = PathTemplate(directory="/d", prefix="p", run_number=1, start_num=100, precision=4)
    assert path.file_names(2) == ["p_1_0100.cbf", "p_1_0101.cbf"]


def test_hdf5_names_one_master_file():
    path = PathTemplate(directory="/d", prefix="lyso", run_number=2, suffix="h5")
    assert path.file_names(1000) == ["lyso_2_master.h5"]
    assert path.get_image_file_name() == "lyso_2_master.h5"


def test_files_of_a_run():
    path = PathTemplate(directory="/d", prefix="lyso", run_number=2)
    assert path.belongs_to_run("lyso_2_00001.cbf")
    assert path.belongs_to_run("lyso_2_master.h5")
    assert not path.belongs_to_run("lyso_21_00001.cbf")
    assert not path.belongs_to_run("lyso_1_00001.cbf")
    assert path.with_run_number(5).run_number == 5 and path.run_number == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"directory": ""}, "directory: empty; expected an absolute path"),
        ({"directory": "data/x"}, "directory: 'data/x' is not an absolute path"),
        ({"directory": "/data/../etc"}, "must not contain '..'"),
        ({"prefix": ""}, "prefix: '' is not usable in a file name"),
        ({"prefix": "a/b"}, "prefix: 'a/b' is not usable in a file name"),
        ({"prefix": "-x"}, "prefix: '-x' is not usable in a file name"),
        ({"run_number": 0}, "run_number: 0 is below the minimum 1"),
        ({"suffix": "tif"}, "suffix: 'tif' is not one of cbf, h5"),
        ({"precision": 0}, "precision: 0 is outside 1..9 digits"),
    ],
)
def test_bad_path_templates_are_refused(changes, message):
    values = {"directory": "/data", "prefix": "lyso", **changes}
    with pytest.raises(ParameterError, match=message.replace("(", r"\(").replace(".", r"\.")):
        PathTemplate(**values).validate(num_images=10)


def test_image_numbers_must_fit_the_precision():
    path = PathTemplate(directory="/d", prefix="p", precision=3, start_num=1)
    path.validate(num_images=999)
    with pytest.raises(ParameterError, match="image number 1000 needs more than precision 3"):
        path.validate(num_images=1000)


@pytest.mark.parametrize(
    ("name", "run"),
    [
        ("lyso_3_00001.cbf", 3),
        ("lyso_12_master.h5", 12),
        ("lyso_2_snapshot_1.png", 2),
        ("lyso_2.cbf", None),
        ("lysozyme_1_00001.cbf", None),
        ("lyso_x_00001.cbf", None),
        ("other_1_00001.cbf", None),
    ],
)
def test_run_number_of_a_file(name, run):
    assert run_number_of(name, "lyso") == run
