"""node_exporter gets the layout a production host gives it (harness.components.node_exporter): the rootfs
at /host, the data disk read-write under it (mountpoint /data once the prefix is stripped) and a stable host
name, so rules written for real hosts (read-only filters, nodename joins) behave here as there."""

from __future__ import annotations

from pathlib import Path

from harness.components.node_exporter import HOSTNAME, ROOTFS, mountpoint, node_exporter
from harness.components.spec import RunContext

RUN = RunContext("r1", (), Path("/tmp/run"))


def test_rootfs_flag_and_the_data_disk_read_write_under_it() -> None:
    spec = node_exporter("img", RUN, {"data": Path("/vol/data")})
    assert f"--path.rootfs={ROOTFS}" in spec.command
    [mount] = spec.mounts
    assert (mount.host, mount.target, mount.mode) == (Path("/vol/data"), "/host/data", "rw")
    assert mountpoint("data") == "/data"  # what node_filesystem_* report: the rootfs prefix stripped


def test_a_stable_host_name_for_node_uname_info() -> None:
    assert node_exporter("img", RUN).hostname == HOSTNAME == node_exporter("img", RUN).hostname
    assert node_exporter("img", RUN).mounts == ()
