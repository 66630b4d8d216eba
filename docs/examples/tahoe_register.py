#!/usr/bin/env python
"""Seed 001's registration client, unchanged but for where it points.

Run it against `make run`:

    pip install requests faker
    export TAHOE_API_USER_KEY=<a registration token of the tenant>
    export TAHOE_HOST=http://127.0.0.1:8080        # default
    export TAHOE_SITE=talent1.local.openedx.io     # optional: the tenant's domain (Host header)
    python docs/examples/tahoe_register.py

It registers a fake user with a password (so an activation email goes out) and prints the
response, e.g. {'user_id ': 1} (v1 keeps the trailing space of the original API).
"""
import os
import pprint

import faker
import requests

FAKE = faker.Faker()
host = os.environ.get('TAHOE_HOST', 'http://127.0.0.1:8080')
api_url_root = host + '/tahoe/api/v1/'
reg_api_url = api_url_root + 'registrations/'


def generate_user_info():
    return dict(
        name=FAKE.name(),
        username=FAKE.user_name(),
        email=FAKE.email(),
        password=FAKE.password()
    )


def register_user(data):
    print('calling url:{} with data:'.format(reg_api_url))
    pprint.pprint(data)
    my_token = os.environ.get('TAHOE_API_USER_KEY')
    headers = {'Authorization': 'Token {}'.format(my_token)}
    if os.environ.get('TAHOE_SITE'):
        headers['Host'] = os.environ['TAHOE_SITE']
    response = requests.post(
        reg_api_url,
        headers=headers,
        data=data)
    return response.json()


def main():
    reg_data = generate_user_info()
    print('Registering user:')
    pprint.pprint(reg_data)
    print('making call...')
    response_data = register_user(reg_data)
    print('response data:')
    pprint.pprint(response_data)


if __name__ == '__main__':
    main()
