/* report_plot.c - two plots through gnuplot, as SVG and PNG:
 * plot-modes: median time per cell of the linklab and cp subjects on the
 *             first corpus, grouped by layout;
 * plot-files: median time against the corpus's file count, one line per
 *             subject and mode, on the first layout. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "report/report.h"
#include "common/util.h"

static int run_gnuplot(const char *script, const char *log)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        /* gnuplot's remarks (say, "empty x range" for one corpus) go to a log */
        if (!freopen(log, "w", stderr))
            _exit(126);
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    int ws = 0;
    if (pid < 0 || waitpid(pid, &ws, 0) < 0)
        return -1;
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 127) {
        lab_warn("gnuplot not found (Debian package gnuplot-nox): no plots");
        return -1;
    }
    return WIFEXITED(ws) && WEXITSTATUS(ws) == 0 ? 0 : -1;
}

struct point {
    long files;
    double ms;
};

static int cmp_point(const void *a, const void *b)
{
    long x = ((const struct point *)a)->files, y = ((const struct point *)b)->files;
    return (x > y) - (x < y);
}

static void terminals(FILE *gp, const char *dir, const char *name, const char *plot)
{
    fprintf(gp, "set terminal svg size 960,540 dynamic font 'sans,11'\nset output '%s/%s.svg'\n%s\n", dir, name, plot);
    fprintf(gp, "set terminal pngcairo size 960,540 font 'sans,10'\nset output '%s/%s.png'\n%s\n", dir, name, plot);
}

int report_plot(const struct report *r, const char *dir)
{
    if (r->ncells == 0)
        return 0;
    const char *corpus = NULL, *layout = NULL;
    for (size_t i = 0; i < r->ncells && (!corpus || !layout); i++) {
        if (!r->cells[i].timed)
            continue;
        corpus = corpus ? corpus : r->cells[i].corpus;
        layout = layout ? layout : r->cells[i].layout;
    }
    if (!corpus)
        return 0;
    char *modes_dat = xasprintf("%s/plot-modes.dat", dir), *files_dat = xasprintf("%s/plot-files.dat", dir);
    char *script = xasprintf("%s/plots.gp", dir);
    FILE *m = fopen(modes_dat, "we"), *fl = fopen(files_dat, "we"), *gp = fopen(script, "we");
    int rc = -1;
    if (!m || !fl || !gp) {
        lab_error("%s: cannot write plot data: %s", dir, strerror(errno));
        goto out;
    }
    int rows = 0;
    for (size_t i = 0; i < r->ncells; i++) {
        const struct cell *c = &r->cells[i];
        if (!c->timed || strcmp(c->corpus, corpus) != 0)
            continue;
        fprintf(m, "\"%s %s %s\" %.3f %.3f\n", c->layout, c->subject, c->mode, c->median * 1e3, c->stddev * 1e3);
        rows++;
    }
    /* one series per subject+mode on the first layout, x = files */
    char series[32][96];
    int ns = 0;
    for (size_t i = 0; i < r->ncells && ns < 32; i++) {
        const struct cell *c = &r->cells[i];
        if (!c->timed || strcmp(c->layout, layout) != 0)
            continue;
        char key[96];
        snprintf(key, sizeof key, "%s %s", c->subject, c->mode);
        bool seen = false;
        for (int s = 0; s < ns && !seen; s++)
            seen = strcmp(series[s], key) == 0;
        if (seen)
            continue;
        snprintf(series[ns++], sizeof series[0], "%s", key);
        fprintf(fl, "# %s\n", key);
        struct point pts[64];
        size_t np = 0;
        for (size_t j = 0; j < r->ncells && np < 64; j++) {
            const struct cell *d = &r->cells[j];
            char dkey[96];
            snprintf(dkey, sizeof dkey, "%s %s", d->subject, d->mode);
            if (d->timed && strcmp(d->layout, layout) == 0 && strcmp(dkey, key) == 0)
                pts[np++] = (struct point){d->files, d->median * 1e3};
        }
        sort_items(pts, np, sizeof *pts, cmp_point); /* lines run left to right */
        for (size_t j = 0; j < np; j++)
            fprintf(fl, "%ld %.3f\n", pts[j].files, pts[j].ms);
        fprintf(fl, "\n\n");
    }
    fclose(m);
    fclose(fl);
    m = fl = NULL;
    char plot[8192];
    snprintf(plot, sizeof plot,
             "set title 'linklab: median install time per cell (corpus %s; log scale)' noenhanced\n"
             "set ylabel 'ms'\nset logscale y\nset yrange [1:*]\nset style fill solid 0.6 border -1\n"
             "set boxwidth 0.7\nset xtics rotate by -50 font ',8' noenhanced\nset grid ytics\nset key off\n"
             "set bmargin 13\nset rmargin 4\n"
             "plot '%s' using 0:2:xtic(1) with boxes lc rgb '#4477aa', '' using 0:2:3 with yerrorbars lc rgb 'black' pt 0",
             corpus, modes_dat);
    terminals(gp, dir, "plot-modes", plot);
    struct strbuf files_plot = STRBUF_INIT;
    strbuf_addf(&files_plot, "set title 'linklab: median install time against file count (%s)' noenhanced\n"
                                "set xlabel 'files in the corpus'\nset ylabel 'ms'\nset key left top noenhanced\n"
                                "set grid\nset logscale y\nset yrange [1:*]\nset ylabel 'ms (log scale)'\n"
                                "unset xtics\nset xtics\nset bmargin 4\nset key outside right\nplot ",
                                layout);
    for (int s = 0; s < ns; s++)
        strbuf_addf(&files_plot, "%s'%s' index %d using 1:2 with linespoints title '%s'", s ? ", " : "",
                    files_dat, s, series[s]);
    if (ns > 0)
        terminals(gp, dir, "plot-files", strbuf_str(&files_plot));
    strbuf_release(&files_plot);
    fclose(gp);
    gp = NULL;
    char *log = xasprintf("%s/plots.log", dir);
    rc = rows > 0 ? run_gnuplot(script, log) : 0;
    free(log);
out:
    if (m)
        fclose(m);
    if (fl)
        fclose(fl);
    if (gp)
        fclose(gp);
    free(modes_dat);
    free(files_dat);
    free(script);
    return rc;
}
