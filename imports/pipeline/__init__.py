"""The steps a lead file goes through, one module each, in the order the data flows.

    upload ─▶ inspect (inspect_csv | inspect_xlsx + sheet_xml) ─▶ FileFormat        [in the request]
          ─▶ headers.plan_columns ─▶ read.count_rows ─▶ limits.check_row_limits     [in the request]
    worker ─▶ read.iter_chunks ─▶ normalize ─▶ validate ─▶ dedupe ─▶ write ─▶ report (error file)

`rules` is the one table of column names (lead field -> names in priority order) that the inspection
scores header rows by and `headers` plans the columns by. `fileformat` holds what every step shares
(UploadRejected, FileFormat, column names, the reserved error-file columns). A module imports only
modules before it in this flow (checked by `lint-imports`).
`imports.process` runs the worker's steps chunk by chunk under the lease of `imports.runner`.
"""
