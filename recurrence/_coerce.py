"""The usual spellings of a table's values, read into canonical values: ``"yes"``/``"no"``
and their kin to booleans, numbers stored as text (also with a decimal comma) to
floats, event words and codes to 0/1/2. Each function returns the values and the mask
of cells it could not read, for :mod:`recurrence.schema` to report.

The names are also importable from :mod:`recurrence.schema`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TRUE_SPELLINGS = {"1", "1.0", "yes", "y", "true", "t", "closed", "closure", "ja", "j"}
FALSE_SPELLINGS = {"0", "0.0", "no", "n", "false", "f", "not closed", "none", "nein"}
YES_NO_EVENT = {"yes", "no", "true", "false", "y", "n", "t", "f", "ja", "nein", "j"}
EVENT_SPELLINGS = {
    "0": 0,
    "0.0": 0,
    "censored": 0,
    "no": 0,
    "false": 0,
    "n": 0,
    "f": 0,
    "1": 1,
    "1.0": 1,
    "reherniation": 1,
    "recurrence": 1,
    "yes": 1,
    "true": 1,
    "y": 1,
    "t": 1,
    "ja": 1,
    "j": 1,
    "nein": 0,
    "2": 2,
    "2.0": 2,
    "competing": 2,
}


def as_text(series: pd.Series) -> pd.Series:
    """Stripped, lower-case text (pandas string dtype, missing as <NA>), vectorized."""
    return series.astype("string[pyarrow]").str.strip().str.lower()


def coerce_bool(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Usual spellings of yes and no, read into a nullable boolean.

    Parameters
    ----------
    series
        A column as the user's table holds it: booleans, 0/1, or text such as
        ``"yes"``/``"no"``, ``"true"``/``"false"``, ``"closed"``, ``"ja"``/``"nein"``
        (:data:`TRUE_SPELLINGS`, :data:`FALSE_SPELLINGS`; case and surrounding spaces
        do not matter).

    Returns
    -------
    values : pandas.Series
        ``boolean`` dtype on the index of ``series``; ``<NA>`` where the cell is
        missing or not a yes/no spelling.
    bad : pandas.Series
        ``True`` where a cell is given but could not be read (missing cells are not
        bad).

    Examples
    --------
    >>> import pandas as pd
    >>> values, bad = coerce_bool(pd.Series(["yes", "No", " 1", "maybe", None]))
    >>> values.tolist(), bad.tolist()
    ([True, False, True, <NA>, <NA>], [False, False, False, True, False])
    """
    if pd.api.types.is_bool_dtype(series):
        return series.astype("boolean"), pd.Series(False, index=series.index)
    text = as_text(series)
    out = pd.Series(pd.NA, index=series.index, dtype="boolean")
    out[text.isin(TRUE_SPELLINGS).fillna(False).to_numpy(bool)] = True
    out[text.isin(FALSE_SPELLINGS).fillna(False).to_numpy(bool)] = False
    bad = series.notna() & out.isna()
    return out, bad


def coerce_number(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Numbers, also stored as text or written with a decimal comma, read into floats.

    Parameters
    ----------
    series
        A column as the user's table holds it: numbers, booleans, or text such as
        ``"12.5"``, ``" 7 "``, ``"1e3"`` or ``"12,5"`` (a decimal comma, read only where
        plain parsing fails).

    Returns
    -------
    values : pandas.Series
        ``float64`` on the index of ``series``; NaN where the cell is missing or not a
        number (``"NaN"`` written as text counts as not a number).
    bad : pandas.Series
        ``True`` where a cell is given but is not a number.

    Examples
    --------
    >>> import pandas as pd
    >>> values, bad = coerce_number(pd.Series(["12,5", "3", " 7.25 ", "n/a", None]))
    >>> values.tolist(), bad.tolist()
    ([12.5, 3.0, 7.25, nan, nan], [False, False, False, True, False])
    """
    if pd.api.types.is_bool_dtype(series):
        return series.astype(float), pd.Series(False, index=series.index)
    if pd.api.types.is_numeric_dtype(series):
        values = series.astype("float64")
        return values, pd.Series(False, index=series.index)
    text = series.astype("string[pyarrow]").str.strip()
    values = _to_float(text)
    failed = (values.isna() & text.notna()).to_numpy(bool)
    if failed.any():  # a decimal comma ("12,5"), only where plain parsing failed
        sub = text[failed]
        comma = sub.str.fullmatch(r"[+-]?\d+,\d+").fillna(False).to_numpy(bool)
        fixed = pd.to_numeric(sub[comma].str.replace(",", ".", regex=False), errors="coerce")
        values.loc[sub.index[comma]] = fixed.astype("float64").to_numpy()
    # "NaN" written as text is not a number: an empty cell is how a value is missing
    bad = (series.notna() & values.isna()).fillna(False)
    return values, bad.astype(bool)


_PLAIN_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def _to_float(text: pd.Series) -> pd.Series:
    """Arrow-backed text to float64, NaN where it is not a number.

    Plain decimal numbers are cast by Arrow compute, in its buffers; only the rest (inf,
    "1,5", words) goes through pandas, which would otherwise turn a whole column into
    Python objects (80 MB more per million rows, measured)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.chunked_array(text.array._pa_array)
    plain = pc.match_substring_regex(arr, _PLAIN_NUMBER)
    values = pc.cast(pc.if_else(plain, arr, pa.scalar(None, pa.string())), pa.float64())
    out = pd.Series(values.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")
    rest = (~plain.fill_null(True).to_numpy(zero_copy_only=False)) & text.notna().to_numpy(bool)
    if rest.any():
        out[rest] = pd.to_numeric(text[rest].astype(object), errors="coerce").astype("float64")
    return out


def coerce_event(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Event codes and their spellings read into nullable integer codes 0, 1 and 2.

    Parameters
    ----------
    series
        A column as the user's table holds it: whole numbers, booleans, or text such as
        ``"censored"``, ``"reherniation"``, ``"competing"``, ``"yes"``/``"no"``
        (:data:`EVENT_SPELLINGS`). Any other whole number is kept as it is, for the
        validation to report.

    Returns
    -------
    values : pandas.Series
        ``Int64`` on the index of ``series``; ``<NA>`` where the cell is missing or not
        an event code. Yes/no words mean 1/0, except next to a code 2, where they are
        ambiguous and left missing.
    bad : pandas.Series
        ``True`` where a cell is given but could not be read (a fraction, a word, a
        yes/no next to code 2).

    Examples
    --------
    >>> import pandas as pd
    >>> values, bad = coerce_event(pd.Series(["recurrence", "censored", "2", "x", None]))
    >>> values.tolist(), bad.tolist()
    ([1, 0, 2, <NA>, <NA>], [False, False, False, True, False])
    >>> values, bad = coerce_event(pd.Series([0, 1, 2, 1.5]))
    >>> values.tolist(), bad.tolist()
    ([0, 1, 2, <NA>], [False, False, False, True])
    >>> coerce_event(pd.Series(["yes", "no", "2"]))[1].tolist()
    [True, True, False]
    """
    if pd.api.types.is_bool_dtype(series):
        return series.astype("Int64"), pd.Series(False, index=series.index)
    if pd.api.types.is_numeric_dtype(series):
        values = series.astype("float64")
        whole = values.where(np.isfinite(values) & (values == np.round(values)))
        out = whole.astype("Int64")
        return out, values.notna() & whole.isna()
    text = as_text(series)
    out = text.map(EVENT_SPELLINGS).astype("Int64")
    numeric = _to_float(text)
    other = (out.isna() & np.isfinite(numeric) & (numeric == np.round(numeric))).to_numpy(bool)
    out[other] = numeric[other].astype("int64")
    bad = series.notna() & out.isna()
    # "yes" means "an event": 1 when only yes/no is used, ambiguous next to code 2.
    yes_no = text.isin(YES_NO_EVENT).fillna(False).to_numpy(bool)
    if yes_no.any() and (out == 2).any():
        bad |= yes_no
        out[yes_no] = pd.NA
    return out, bad


def looks_like_dates(values: pd.Series) -> bool:
    sample = values.dropna().astype(str).head(20)
    return len(sample) > 0 and bool(
        sample.str.match(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}").mean() > 0.5
    )
