# Warden: GNU make, no configure step. See README.md.
#   make            build library, binaries, unit tests, tools into build/
#   make start|stop|run   the local stack (API.md §1)
#   make test       everything: unit tests and fuzz corpora under
#                   ASan/UBSan, end-to-end tests against the real stack
#   make bench      benchmarks (not tests)
#   make routes     lighttpd/nginx.conf.example from the route table
#   make fuzz       run each libFuzzer target for FUZZ_TIME seconds

PKGS	 = libpq json-c libjwt libcurl libxcrypt fcgi libcrypto libqrencode
CC	?= cc
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_DEFAULT_SOURCE -MMD -MP \
	   -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wformat=2 \
	   -fstack-protector-strong -D_FORTIFY_SOURCE=2 -Isrc
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDFLAGS	+= -Wl,--as-needed
# full RELRO: the GOT is read-only once the binary has started
LDFLAGS	+= -Wl,-z,relro,-z,now
# -pthread: the revocation feed runs in its own thread (src/wd_revoke.c)
CFLAGS	+= -pthread
LDLIBS	+= $(PKG_LIBS) -pthread

ifdef SANITIZE
B	?= build/san
CFLAGS	+= -fsanitize=$(SANITIZE) -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer
LDFLAGS	+= -fsanitize=$(SANITIZE)
else
B	?= build
endif

SRC	= $(wildcard src/*.c)
OBJ	= $(SRC:src/%.c=$(B)/src/%.o)
LIB	= $(B)/libwarden.a
CGI	= $(patsubst cgi-bin/%.c,$(B)/bin/%,$(wildcard cgi-bin/*.c))
TOOLS	= $(patsubst tests/tools/%.c,$(B)/bin/%,$(wildcard tests/tools/*.c))
UNIT	= $(patsubst tests/unit/%.c,$(B)/tests/%,\
	    $(wildcard tests/unit/test_*.c))

# Debian (bookworm) packages the build, the stack and the tests need.
DEBS	= gcc make pkg-config libfcgi-dev libpq-dev libjson-c-dev \
	  libjwt-dev libcurl4-openssl-dev libcrypt-dev libssl-dev \
	  postgresql lighttpd nginx-light spawn-fcgi python3 python3-cryptography \
	  openssl curl \
	  clang libclang-rt-14-dev wrk procps libqrencode-dev \
	  zbar-tools librsvg2-bin lighttpd-modules-lua

.PHONY: all deps lint test unit-san fuzz-build fuzz start stop run bench \
	routes clean
all: $(LIB) $(CGI) $(TOOLS) $(UNIT)

$(B)/src/%.o: src/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(LIB): $(OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(B)/bin/%: cgi-bin/%.c $(LIB)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(B)/bin/%: tests/tools/%.c $(LIB)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(B)/tests/%: tests/unit/%.c tests/unit/wd_test.h $(LIB)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	@$(CC) $(CFLAGS) $(PKG_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< \
	    $(LIB) $(LDLIBS)

-include $(wildcard $(B)/src/*.d $(B)/bin/*.d $(B)/tests/*.d)

# Installs what is missing (as root; otherwise through sudo).
deps:
	@missing=""; for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
	    grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $$missing >/dev/null || exit 1; \
	fi

# Banned string functions (STYLE.md §5).
lint:
	@! grep -nwE 'strcpy|strcat|strncpy|strncat|sprintf|vsprintf|strtok|atoi|atol|sscanf|gets' \
	    src/*.c src/*.h cgi-bin/*.c || (echo "lint: banned function"; exit 1)

# libFuzzer targets: clang, ASan+UBSan, library rebuilt for them.
FZ	= build/fuzz
FZ_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -g -O1 -Isrc -pthread \
	    -fsanitize=fuzzer-no-link,address,undefined \
	    -fno-sanitize-recover=all
FZ_OBJ	= $(SRC:src/%.c=$(FZ)/src/%.o)
FZ_BIN	= $(patsubst tests/fuzz/%.c,$(FZ)/%,$(wildcard tests/fuzz/fuzz_*.c))
$(FZ)/src/%.o: src/%.c
	@mkdir -p $(@D)
	clang $(FZ_CFLAGS) $(PKG_CFLAGS) -c -o $@ $<
$(FZ)/%: tests/fuzz/%.c tests/fuzz/wd_fuzz.h $(FZ_OBJ)
	clang $(FZ_CFLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ $< \
	    $(FZ_OBJ) $(LDLIBS)
.SECONDARY: $(FZ_OBJ)
fuzz-build: $(FZ_BIN)
FUZZ_TIME ?= 60
fuzz: fuzz-build
	@for f in $(FZ_BIN); do n=$${f##*/fuzz_}; \
	  mkdir -p tests/fuzz/corpus/$$n; \
	  $$f -max_total_time=$(FUZZ_TIME) tests/fuzz/corpus/$$n || exit 1; \
	done

unit-san:
	$(MAKE) SANITIZE=address,undefined all

test: deps lint
	$(MAKE) all
	$(MAKE) unit-san
	$(MAKE) fuzz-build
	@sh tests/run.sh $(B)

start: deps all
	@sh lighttpd/stack.sh start
stop:
	@sh lighttpd/stack.sh stop
run: deps all
	@sh lighttpd/stack.sh run
bench: deps all
	@sh tests/bench/run.sh $(B)

# The nginx example is generated from lighttpd/routes (the lighttpd route
# section is generated at every start); the e2e suite checks it is current.
routes:
	@python3 lighttpd/routes.py nginx >lighttpd/nginx.conf.example.tmp || \
	    { rm -f lighttpd/nginx.conf.example.tmp; exit 1; }
	@mv lighttpd/nginx.conf.example.tmp lighttpd/nginx.conf.example

clean:
	rm -rf build
