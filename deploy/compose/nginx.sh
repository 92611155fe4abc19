#!/bin/sh
# docker-compose.yml's nginx: deploy/nginx/teeka.conf rendered for the compose
# services, with the certificate docker-compose.yml's header says how to make.
# The door upstream names the web nodes themselves: their workers answer the
# waiting pages with their own door (no door pool in the containers).
set -e
if [ ! -f /deploy/compose/tls/teeka.key ]; then
    echo "no deploy/compose/tls/teeka.key: make the certificate first (docker-compose.yml)" >&2
    exit 1
fi
cp /deploy/nginx/teeka-proxy.conf /etc/nginx/teeka-proxy.conf
export TEEKA_SERVER_NAME=localhost TEEKA_HTTP_PORT=80 TEEKA_HTTPS_PORT=443 \
    TEEKA_WEB_1=web1:8000 TEEKA_WEB_2=web2:8000 \
    TEEKA_DOOR_1=web1:8000 TEEKA_DOOR_2=web2:8000 TEEKA_STATIC_ROOT=/srv/teeka/static \
    TEEKA_TLS_CERT=/deploy/compose/tls/teeka.crt TEEKA_TLS_KEY=/deploy/compose/tls/teeka.key \
    TEEKA_NGINX_DIR=/etc/nginx TEEKA_OPERATORS_NET=172.16.0.0/12 \
    TEEKA_RATE_PAGES=20r/s TEEKA_RATE_POSTS=5r/s
envsubst '$TEEKA_SERVER_NAME $TEEKA_HTTP_PORT $TEEKA_HTTPS_PORT $TEEKA_WEB_1 $TEEKA_WEB_2
    $TEEKA_DOOR_1 $TEEKA_DOOR_2 $TEEKA_STATIC_ROOT $TEEKA_TLS_CERT $TEEKA_TLS_KEY $TEEKA_NGINX_DIR
    $TEEKA_OPERATORS_NET $TEEKA_RATE_PAGES $TEEKA_RATE_POSTS' \
    < /deploy/nginx/teeka.conf > /etc/nginx/conf.d/default.conf
exec nginx -g 'daemon off;'
