"""The AWS boundary: the only code that speaks botocore.

:mod:`~sagesweep.aws.target` is where a command's calls go and how fast (one
:class:`~sagesweep.aws.target.Target`); :mod:`~sagesweep.aws.client` makes the
SageMaker client; :mod:`~sagesweep.aws.outcomes` sorts every exception a call can raise
into what the caller should do about it.
"""
