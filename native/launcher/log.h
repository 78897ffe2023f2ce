/* log.h: launcher diagnostics, appended to <socket dir>/launcher.log (never syslog). */
#ifndef JSHIM_LOG_H
#define JSHIM_LOG_H

#include "config.h"

/* Until this is called nothing is logged. dir is created (0700) on first use. */
void jshim_log_init(enum jshim_log_level level, const char *container_id, const char *dir);
void jshim_log(enum jshim_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) jshim_log(JSHIM_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) jshim_log(JSHIM_LOG_WARN, __VA_ARGS__)
#define log_info(...) jshim_log(JSHIM_LOG_INFO, __VA_ARGS__)
#define log_debug(...) jshim_log(JSHIM_LOG_DEBUG, __VA_ARGS__)

#endif
