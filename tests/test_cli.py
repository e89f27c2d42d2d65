"""The klsym console script."""

import subprocess
import sys

import mpmath

from klsym.cli import main
from reference import ref_kl
from tolerances import assert_agree


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_kl_prints_the_symbolic_closed_form(capsys):
    code, out, _ = run(capsys, "kl", "normal", "normal")
    assert code == 0
    assert "log(sigma_q/sigma_p)" in out and "mu_q" in out


def test_numeric_evaluation_agrees_with_quadrature(capsys):
    code, out, _ = run(capsys, "kl", "gamma", "gamma", "--p", "alpha=2,beta=3",
                       "--q", "alpha=0.5,beta=1", "--digits", "35")
    assert code == 0
    with mpmath.workdps(40):
        ours = mpmath.mpf(out.strip())
    assert_agree(ours, ref_kl("gamma", {"alpha": 2, "beta": 3}, "gamma", {"alpha": "0.5", "beta": 1}),
                 digits=30, what="CLI KL gamma")


def test_latex_and_pretty_output(capsys):
    assert "\\log" in run(capsys, "entropy", "normal", "--format", "latex")[1]
    assert run(capsys, "cross-entropy", "poisson", "poisson", "--format", "pretty")[0] == 0


def test_form_and_families(capsys):
    code, out, _ = run(capsys, "form", "binomial")
    assert code == 0 and "for fixed n" in out and "E[T]  = (n*p,)" in out
    code, out, _ = run(capsys, "families")
    assert code == 0 and "negativebinomial" in out and "exponential family given r" in out


def test_errors_are_reported_with_exit_code_2(capsys):
    code, _, err = run(capsys, "kl", "normal", "normal", "--p", "sigma=-1")
    assert code == 2 and "sigma > 0" in err
    code, _, err = run(capsys, "kl", "gausian", "normal")
    assert code == 2 and "Known families" in err


def test_console_script_help():
    out = subprocess.run([sys.executable, "-m", "klsym.cli", "--help"], capture_output=True,
                         text=True, check=True).stdout
    assert "kl" in out and "entropy" in out and "Family names" in out


def test_latex_uses_textbook_notation(capsys):
    out = run(capsys, "kl", "gamma", "gamma", "--format", "latex")[1]
    assert r"\psi\left(\alpha_{p}\right)" in out and r"\ln\Gamma" in out
    assert r"\lambda" in run(capsys, "entropy", "poisson", "--format", "latex")[1]


def test_codegen_writes_a_module_that_imports(tmp_path, capsys):
    target = tmp_path / "kl_normal.py"
    assert main(["codegen", "normal", "normal", "-o", str(target)]) == 0
    assert "wrote" in capsys.readouterr().out
    namespace = {}
    exec(compile(target.read_text(), str(target), "exec"), namespace)
    assert namespace["kl"](0.0, 1.0, 1.0, 1.0) == 0.5
    assert main(["codegen", "categorical", "categorical", "--dim", "3"]) == 0
    assert "def kl(p_p, p_q" in capsys.readouterr().out
    assert main(["codegen", "categorical", "categorical"]) == 0  # one module, every length
    assert "for vectors of any length K" in capsys.readouterr().out
    assert main(["codegen", "gamma"]) == 2  # a KL needs two families


def test_codegen_backends_from_the_command_line(tmp_path, capsys):
    assert main(["codegen", "exponential", "exponential", "--backend", "c99",
                 "-o", str(tmp_path / "kl.c")]) == 0
    assert "double kl_exponential_exponential(double lam_p, double lam_q)" in \
        (tmp_path / "kl.c").read_text()
    assert main(["codegen", "gamma", "gamma", "--backend", "c99"]) == 2  # no digamma in C99
    assert "no counterpart for polygamma" in capsys.readouterr().err
