"""`irflow web`'s gunicorn shape: processes from the cores, threads per process, overridable."""

from __future__ import annotations

import os

import pytest

from irflow.runtime.management.commands import web


@pytest.mark.parametrize(("cores", "workers"), [(1, 2), (2, 2), (4, 4), (6, 6), (32, 8)])
def test_one_process_per_core_within_bounds(cores, workers):
    assert web.web_defaults({}, cpu=cores) == (workers, web.WEB_THREADS_PER_WORKER)


def test_the_environment_overrides_the_shape():
    env = {"IRFLOW_WEB_WORKERS": "3", "IRFLOW_WEB_THREADS": "8"}
    assert web.web_defaults(env, cpu=4) == (3, 8)
    assert web.web_defaults({"IRFLOW_WEB_WORKERS": "", "IRFLOW_WEB_THREADS": ""}, cpu=4) == (4, 4)


def test_cores_counts_what_this_process_may_use():
    assert 1 <= web.cores() <= (os.cpu_count() or 1)
