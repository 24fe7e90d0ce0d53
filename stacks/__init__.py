"""Stacks of the reference app: thin wiring of sagemaker_cdk constructs."""
