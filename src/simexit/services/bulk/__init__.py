"""Fleet closure: a file of lines read as a stream, decided by the same rules as a single application, and approved
by staff. Use cases: ``commands`` (intake_options, start, run, approve) and ``queries`` (progress, results,
write_results), each taking the caller; the doors receive ``views``. A file that is not UTF-8, has a line longer
than ``input.MAX_LINE`` characters or is not CSV is refused as a whole before anything is stored; a bad row is
an ``invalid`` row of the batch, never an error of the file.
"""
