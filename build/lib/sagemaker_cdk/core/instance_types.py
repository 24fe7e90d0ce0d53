"""Facts about SageMaker ML instance types used by validation, alarms and encryption choices."""

from __future__ import annotations

import re

INSTANCE_TYPE_PATTERN = re.compile(r"^ml\.[a-z0-9-]+\.[a-z0-9-]+$")

# Burstable families earn CPU credits; under sustained load they throttle, so they cannot back autoscaling.
BURSTABLE_FAMILIES = ("t2", "t3", "t3a", "t4g")

# Families whose storage is local NVMe instance store: SageMaker rejects a KmsKeyId for them (the instance store is
# encrypted by the hardware), so the endpoint config omits the volume key there.
_INSTANCE_STORE_FAMILY = re.compile(r"^(?:[a-z]+\d+[a-z]*d[a-z]*|g4dn|g5|g6|g6e|p3dn|p4d|p4de|p5|p5e|p5en|inf2|trn1|trn1n)$")

_SIZE_VCPUS = {"nano": 2, "micro": 2, "small": 2, "medium": 2, "large": 2, "xlarge": 4}


def family(instance_type: str) -> str:
    """'ml.m5.large' -> 'm5'."""
    return instance_type.split(".")[1] if instance_type.count(".") == 2 else ""


def is_burstable(instance_type: str) -> bool:
    return family(instance_type) in BURSTABLE_FAMILIES


def has_instance_store(instance_type: str) -> bool:
    return bool(_INSTANCE_STORE_FAMILY.match(family(instance_type)))


def vcpus(instance_type: str) -> int:
    """vCPU count from the size suffix (the same across current families): large=2, xlarge=4, Nxlarge=4N."""
    size = instance_type.rsplit(".", 1)[-1]
    if size in _SIZE_VCPUS:
        return _SIZE_VCPUS[size]
    match = re.match(r"^(\d+)xlarge$", size)
    return 4 * int(match.group(1)) if match else 2
