"""OpenCue through pycue: ``farm.OpenCueFarm`` (built by ``farm.create``) over
``client.CuebotClient``; ``jobspec`` and ``command`` build the job, ``summary`` maps Cuebot's
states to ours.
"""
