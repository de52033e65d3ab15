"""``governance run``: the process (``run``), its scheduler and jobs (``worker``, ``jobs``,
``plan``), the scheduler lock (``leader``), the jobs' state (``jobstate``) and its logs."""
