"""TaskType: what workers do in a Ground Truth labeling job, and the functions and worker UI that go with it.

Built-in task types run AWS-owned pre-annotation ("PRE-<Task>") and annotation-consolidation ("ACS-<Task>") Lambda
functions, whose ARNs differ per region (`registry`, generated from botocore's documentation). Their worker templates
are written here with Crowd HTML Elements (https://assets.crowd.aws/crowd-html-elements.js) and stored as S3 objects
next to the job's data. A custom task type brings its own template and its own pre- and post-annotation functions.

Automated data labeling (active learning) exists for four built-in task types only: image classification (single
label), bounding box, semantic segmentation and text classification (single label). Ground Truth's system minimum
for it is 1,250 data objects (5,000 or more recommended) -- see the developer guide, "Automate data labeling".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import aws_lambda as lambda_

from ..core._types import typed, typed_fields
from ..core._validation import PropErrors, is_token
from . import registry

CROWD_ELEMENTS = "https://assets.crowd.aws/crowd-html-elements.js"
AUTOMATED_LABELING_MINIMUM = 1250  # Ground Truth's system minimum of data objects for automated labeling
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
TEXT_EXTENSIONS = (".txt",)
_HUMAN_TASK_UI_ARN = re.compile(r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:[0-9]{12}:human-task-ui/.+$")


def _template(element: str, body: str) -> str:
    return (
        f'<script src="{CROWD_ELEMENTS}"></script>\n'
        "<crowd-form>\n"
        f"  <{element}\n{body}  >\n"
        "    <full-instructions header=\"Instructions\">{{ task.input.fullInstruction | default: '' }}"
        "</full-instructions>\n"
        "    <short-instructions>{{ task.input.shortInstruction | default: '' }}</short-instructions>\n"
        f"  </{element}>\n"
        "</crowd-form>\n"
    )


_IMAGE = '    name="{name}"\n    src="{{{{ task.input.taskObject | grant_read_access }}}}"\n'
_LABELS = '    {attr}="{{{{ task.input.labels | to_json | escape }}}}"\n'
_TEMPLATES = {
    "ImageMultiClass": ("crowd-image-classifier", _IMAGE.format(name="crowd-image-classifier")
                        + _LABELS.format(attr="categories") + '    header="{header}"\n'),
    "ImageMultiClassMultiLabel": ("crowd-image-classifier-multi-select",
                                  _IMAGE.format(name="crowd-image-classifier-multi-select")
                                  + _LABELS.format(attr="categories") + '    header="{header}"\n'),
    "BoundingBox": ("crowd-bounding-box", _IMAGE.format(name="annotatedResult")
                    + _LABELS.format(attr="labels") + '    header="{header}"\n'),
    "SemanticSegmentation": ("crowd-semantic-segmentation", _IMAGE.format(name="crowd-semantic-segmentation")
                             + _LABELS.format(attr="labels") + '    header="{header}"\n'),
    "TextMultiClass": ("crowd-classifier", '    name="crowd-classifier"\n' + _LABELS.format(attr="categories")
                       + '    header="{header}"\n'),
    "TextMultiClassMultiLabel": ("crowd-classifier-multi-select", '    name="crowd-classifier-multi-select"\n'
                                 + _LABELS.format(attr="categories") + '    header="{header}"\n'),
    "NamedEntityRecognition": ("crowd-entity-annotation", '    name="crowd-entity-annotation"\n'
                               + _LABELS.format(attr="labels") + '    text="{{{{ task.input.taskObject | escape }}}}"\n'
                               + '    header="{header}"\n'),
}
# Text classifiers show the text as a classification target inside the element.
_TEXT_TARGET = "    <classification-target>{{ task.input.taskObject | escape }}</classification-target>\n"

# task type -> automated-labeling algorithm (registry.algorithms()).
_ALGORITHMS = {
    "ImageMultiClass": "image-classification",
    "BoundingBox": "object-detection",
    "SemanticSegmentation": "semantic-segmentation",
    "TextMultiClass": "text-classification",
}


@typed_fields
@dataclass(frozen=True)
class TaskType:
    """A Ground Truth task type. Use the factories: `TaskType.image_classification()`, ..., `TaskType.custom(...)`.

    name: the built-in task type ("ImageMultiClass", ...) or a label for a custom one.
    built_in: True for AWS's task types (AWS-owned functions from the region registry).
    template: the worker UI (Liquid + Crowd HTML Elements). Default for built-ins: ours.
    human_task_ui_arn: an existing HumanTaskUi instead of a template.
    pre_annotation / consolidation: the custom task type's functions.
    data_extensions: file extensions the manifest builder lists (lower case). Empty = every object.
    source_field: "source-ref" (objects are referenced) or "source" (text inline, for text task types).
    """

    name: str
    built_in: bool = True
    template: str | None = None
    human_task_ui_arn: str | None = None
    pre_annotation: lambda_.IFunction | None = field(default=None, compare=False)
    consolidation: lambda_.IFunction | None = field(default=None, compare=False)
    data_extensions: tuple[str, ...] = ()
    source_field: str = "source-ref"

    def __post_init__(self) -> None:
        errors = PropErrors(f"TaskType {self.name}")
        errors.check(self.source_field in ("source-ref", "source"),
                     f"source_field ({self.source_field!r}) must be 'source-ref' (objects referenced by S3 URI) or "
                     "'source' (text inline)")
        if not self.built_in:
            errors.check(self.template is not None or self.human_task_ui_arn is not None,
                         "a custom task type needs a worker template or a human_task_ui_arn: use TaskType.custom(...)")
            errors.check(self.pre_annotation is not None and self.consolidation is not None,
                         "a custom task type needs pre_annotation and consolidation functions: use TaskType.custom(...)")
        errors.raise_if_any()

    # -- built-in task types ----------------------------------------------------------------------------------------

    @staticmethod
    @typed
    def image_classification(*, human_task_ui_arn: str | None = None) -> "TaskType":
        """Single-label image classification (automated labeling: yes)."""
        return TaskType._built_in("ImageMultiClass", IMAGE_EXTENSIONS, human_task_ui_arn)

    @staticmethod
    @typed
    def image_multi_label(*, human_task_ui_arn: str | None = None) -> "TaskType":
        """Multi-label image classification (automated labeling: no)."""
        return TaskType._built_in("ImageMultiClassMultiLabel", IMAGE_EXTENSIONS, human_task_ui_arn)

    @staticmethod
    @typed
    def bounding_box(*, human_task_ui_arn: str | None = None) -> "TaskType":
        """Object detection with bounding boxes (automated labeling: yes)."""
        return TaskType._built_in("BoundingBox", IMAGE_EXTENSIONS, human_task_ui_arn)

    @staticmethod
    @typed
    def semantic_segmentation(*, human_task_ui_arn: str | None = None) -> "TaskType":
        """Pixel-level image segmentation (automated labeling: yes; the label attribute must end with '-ref')."""
        return TaskType._built_in("SemanticSegmentation", IMAGE_EXTENSIONS, human_task_ui_arn)

    @staticmethod
    @typed
    def text_classification(*, human_task_ui_arn: str | None = None) -> "TaskType":
        """Single-label text classification of .txt objects (automated labeling: yes)."""
        return TaskType._built_in("TextMultiClass", TEXT_EXTENSIONS, human_task_ui_arn, "source")

    @staticmethod
    @typed
    def text_multi_label(*, human_task_ui_arn: str | None = None) -> "TaskType":
        """Multi-label text classification of .txt objects (automated labeling: no)."""
        return TaskType._built_in("TextMultiClassMultiLabel", TEXT_EXTENSIONS, human_task_ui_arn, "source")

    @staticmethod
    @typed
    def named_entity_recognition(*, human_task_ui_arn: str | None = None) -> "TaskType":
        """Named entity recognition over .txt objects (automated labeling: no)."""
        return TaskType._built_in("NamedEntityRecognition", TEXT_EXTENSIONS, human_task_ui_arn, "source")

    @staticmethod
    @typed
    def custom(
        *,
        template: str,
        pre_annotation: lambda_.IFunction,
        consolidation: lambda_.IFunction,
        name: str = "Custom",
        data_extensions: tuple[str, ...] = (),
    ) -> "TaskType":
        """Your own worker template (Liquid + Crowd HTML Elements) with your own pre- and post-annotation Lambdas.

        The LabelingJob grants Ground Truth's role `lambda:InvokeFunction` on both functions.
        """
        errors = PropErrors("TaskType.custom")
        errors.expect_type("template", template, str, "the worker template's HTML (a string)")
        errors.raise_if_any()
        errors.check("<crowd-form" in template or "crowd-form" in template,
                     "template has no <crowd-form>: Ground Truth submits worker answers through crowd-form; wrap "
                     "the task in <crowd-form>...</crowd-form>")
        errors.raise_if_any()
        return TaskType(name=name, built_in=False, template=template, pre_annotation=pre_annotation,
                        consolidation=consolidation, data_extensions=tuple(e.lower() for e in data_extensions))

    @staticmethod
    def _built_in(name: str, extensions: tuple[str, ...], ui_arn: str | None, source: str = "source-ref") -> "TaskType":
        if ui_arn is not None and not is_token(ui_arn):
            errors = PropErrors(f"TaskType {name}")
            if errors.expect_type("human_task_ui_arn", ui_arn, str, "a HumanTaskUi ARN string"):
                errors.check(bool(_HUMAN_TASK_UI_ARN.match(ui_arn)),
                             f"human_task_ui_arn ({ui_arn!r}) is not a HumanTaskUi ARN: use "
                             "'arn:aws:sagemaker:<region>:<account>:human-task-ui/<name>'")
            errors.raise_if_any()
        return TaskType(name=name, human_task_ui_arn=ui_arn, data_extensions=extensions, source_field=source)

    # -- derived ----------------------------------------------------------------------------------------------------

    @property
    def automated_labeling_algorithm(self) -> str | None:
        """The automated-labeling algorithm of a built-in task type, None when Ground Truth has none for it."""
        return _ALGORITHMS.get(self.name) if self.built_in else None

    @property
    def label_attribute_suffix(self) -> str:
        """Semantic segmentation writes a mask reference, so its label attribute must end with '-ref'."""
        return "-ref" if self.built_in and self.name == "SemanticSegmentation" else ""

    def worker_template(self, header: str) -> str | None:
        """The worker UI to upload, or None when a HumanTaskUi ARN is used instead."""
        if self.human_task_ui_arn is not None:
            return None
        if self.template is not None:
            return self.template
        element, attributes = _TEMPLATES[self.name]
        text = _template(element, attributes.format(header=_attribute(header)))
        if self.name in ("TextMultiClass", "TextMultiClassMultiLabel"):
            text = text.replace("  >\n", "  >\n" + _TEXT_TARGET, 1)
        return text

    def registry_regions(self) -> tuple[str, ...]:
        return registry.regions(self.name) if self.built_in else ()

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "built_in": self.built_in, "algorithm": self.automated_labeling_algorithm}


def _attribute(text: str) -> str:
    """Escape text for an HTML attribute."""
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;"))
